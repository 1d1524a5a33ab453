package dev.dualnet.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Every error the server sends, whichever layer refuses the request: {@code {"error": "..."}}. */
public final class ErrorBodies {
    public static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ErrorBodies() {}

    /** The error body, with {@code request_id} when the server logged the fault under one. */
    public static byte[] json(String message, String requestId) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", message == null || message.isBlank() ? "error" : message);
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return ("{\"error\":\"error\"}").getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Answers on Jetty's own level, before any route runs.
     *
     * @param close whether the connection closes after it (the request's body may be left unread)
     */
    static void write(Response response, Callback callback, int status, String message, boolean close) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        if (close) {
            response.getHeaders().put(new HttpField(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString()));
        }
        response.write(true, ByteBuffer.wrap(json(message, null)), callback);
    }
}
