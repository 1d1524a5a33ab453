package dev.dualnet.server.http;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals (a request line, URI, header block or HTTP version it cannot take, or an
 * error outside any route) as the server's JSON errors instead of Jetty's HTML pages, with the
 * server's own words rather than Jetty's.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        ErrorBodies.write(response, callback, code, describe(code), code >= 400 && code != 404 && code != 405);
    }

    /** What each status means to a client; Jetty's reason phrases and causes stay in its own log. */
    public static String describe(int status) {
        return switch (status) {
            case 400 -> "malformed HTTP request";
            case 404 -> "no such resource";
            case 405 -> "method not allowed";
            case 408 -> "the request did not arrive in time";
            case 411 -> "a request body needs a Content-Length or chunked transfer encoding";
            case 413 -> "request body too large";
            case 414 -> "request URI too long";
            case 415 -> "unsupported media type";
            case 431 -> "request header fields too large";
            case 500 -> "internal server error";
            case 501 -> "method not implemented";
            case 503 -> "service unavailable";
            case 505 -> "HTTP version not supported; use HTTP/1.1";
            default -> status >= 500 ? "server error " + status : "request refused (" + status + ")";
        };
    }
}
