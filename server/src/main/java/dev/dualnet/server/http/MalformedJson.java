package dev.dualnet.server.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/** The client's words for a JSON parse failure: where and what, without the parser's own settings and class names. */
final class MalformedJson {
    /** Parentheses that name parser limits, e.g. "(1000, from `StreamReadConstraints.getMaxNestingDepth()`)". */
    private static final Pattern LIMIT_SOURCE = Pattern.compile("\\s*\\([^()]*`[^`]*`[^()]*\\)");
    /** Advice to switch a parser feature on, e.g. ": enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow". */
    private static final Pattern FEATURE_ADVICE = Pattern.compile("[:;,]?\\s*\\(?(?:enable|disable|set)\\b[^.;]*`[^`]*`[^.;)]*\\)?");
    private static final Pattern CODE_NAME = Pattern.compile("`[^`]*`");

    private MalformedJson() {}

    static ApiException of(JsonProcessingException e) {
        return ApiException.badRequest(describe(e));
    }

    static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        message = LIMIT_SOURCE.matcher(message).replaceAll("");
        message = FEATURE_ADVICE.matcher(message).replaceAll("");
        message = CODE_NAME.matcher(message).replaceAll("").strip();
        JsonLocation where = e.getLocation();
        String at = where == null || where.getLineNr() < 1 ? ""
                : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
        return "malformed JSON" + at + (message.isEmpty() ? "" : ": " + message);
    }
}
