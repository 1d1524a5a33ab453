package dev.dualnet.server.http;

import java.util.Set;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Answers methods the routes do not know (HTTP methods are case-sensitive: "post" is one) with 501 before routing. */
public final class MethodFilter extends Handler.Wrapper {
    private static final Set<String> KNOWN = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!KNOWN.contains(request.getMethod())) {
            String method = request.getMethod();
            ErrorBodies.write(response, callback, 501, "method '" + (method.length() > 20 ? method.substring(0, 20) + "..."
                    : method) + "' is not implemented; expected one of GET, HEAD, POST, OPTIONS", true);
            return true;
        }
        return super.handle(request, response, callback);
    }
}
