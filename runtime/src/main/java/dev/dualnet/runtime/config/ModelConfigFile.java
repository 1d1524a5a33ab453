package dev.dualnet.runtime.config;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.TextFormat;
import dev.dualnet.runtime.ModelLoadException;
import dev.dualnet.runtime.config.proto.ModelConfigProto;
import dev.dualnet.runtime.config.proto.ModelConfigProto.ModelConfig;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a model's {@code config.pbtxt}: Triton's {@code ModelConfig} in protobuf text format.
 *
 * <p>Parsing is strict, as Triton's is: unknown fields, unknown enum values and a singular field
 * given twice are errors. Error messages may reach HTTP clients, so they name the file by its
 * name only and describe the problem in the config's own terms, never the parser's.
 */
public final class ModelConfigFile {
    /** Triton's name for the configuration file in a model's directory. */
    public static final String FILE_NAME = "config.pbtxt";

    private static final String EMPTY = " is empty; expected the model's configuration (name, platform, max_batch_size,"
            + " input, output), or no file to derive it from the model";
    private static final int MAX_FOUND = 40;
    private static final int LOOK_BACK = 2000;
    private static final Pattern POSITION = Pattern.compile("^-?\\d+:-?\\d+: ");
    private static final Pattern EXPECTED_TOKEN = Pattern.compile("^Expected \"(.+)\"\\.$");
    private static final Pattern OUT_OF_RANGE = Pattern.compile("Number out of range for (.+): (.+)$");
    private static final Pattern NO_ENUM_NAME = Pattern.compile("^Enum type \"(.+)\" has no value named \"(.*)\"\\.$");
    private static final Pattern NO_ENUM_NUMBER = Pattern.compile("^Enum type \"(.+)\" has no value with number (.+)\\.$");
    private static final Pattern OVERWRITE = Pattern.compile("^Non-repeated field \"(.+)\" cannot be overwritten\\.$");
    private static final Pattern ONEOF = Pattern.compile(
            "^Field \"(.+)\" is specified along with field \"(.+)\", another member of oneof \"(.+)\"\\.$");
    // The field a value belongs to: "name:" just before it, possibly inside an open "[a, b, " list.
    private static final Pattern FIELD_BEFORE_VALUE =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*(?:\\[[^\\[\\]{}<>]*)?$");

    // Immutable and thread-safe; Triton refuses a singular field given twice, so we do too.
    private static final TextFormat.Parser PARSER = TextFormat.Parser.newBuilder()
            .setSingularOverwritePolicy(TextFormat.Parser.SingularOverwritePolicy.FORBID_SINGULAR_OVERWRITES)
            .build();

    private ModelConfigFile() {}

    /**
     * Reads and parses a {@code config.pbtxt}.
     *
     * @param configFile the file; messages name it by its file name only
     * @return the configuration as written; nothing is checked against a model here
     * @throws ModelLoadException when the file cannot be read, is not UTF-8, is empty (only
     *     whitespace and comments), or is not a valid {@code ModelConfig}: the message names the
     *     file, the line and column and what was wrong there
     * @throws NullPointerException when {@code configFile} is null
     */
    public static ModelConfig read(Path configFile) throws ModelLoadException {
        String name = fileName(configFile);
        String text;
        try {
            text = Files.readString(configFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(name + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ModelLoadException(name + " could not be read: permission denied", e);
        } catch (CharacterCodingException e) {
            throw new ModelLoadException(name + " is not UTF-8 text", e);
        } catch (IOException e) {
            // The exception's own message carries the absolute path, which clients must not see.
            throw new ModelLoadException(name + " could not be read", e);
        }
        return parse(name, text);
    }

    /**
     * Parses {@code config.pbtxt} text already in memory.
     *
     * @param text the file's content
     * @return the configuration as written
     * @throws ModelLoadException when the text is empty (only whitespace and comments) or not a
     *     valid {@code ModelConfig}; the message names config.pbtxt, the line and column
     * @throws NullPointerException when {@code text} is null
     */
    public static ModelConfig parse(String text) throws ModelLoadException {
        return parse(FILE_NAME, text);
    }

    private static ModelConfig parse(String name, String text) throws ModelLoadException {
        if (isBlank(text)) {
            throw new ModelLoadException(name + EMPTY, null);
        }
        ModelConfig.Builder builder = ModelConfig.newBuilder();
        try {
            PARSER.merge(text, builder);
        } catch (TextFormat.ParseException e) {
            throw new ModelLoadException(name + describe(e, text), e);
        }
        return builder.build();
    }

    private static String fileName(Path file) {
        Path name = file.getFileName();
        return name == null ? FILE_NAME : name.toString();
    }

    /** Whether the text holds no token: only whitespace and {@code #} comments. */
    private static boolean isBlank(String text) {
        // A '#' inside a string comes after its opening quote, which survives the removal.
        return text.replaceAll("#[^\n]*", "").isBlank();
    }

    /** " line L, column C: what", or ": what" where the parser gave no position. */
    private static String describe(TextFormat.ParseException e, String text) {
        String raw = POSITION.matcher(e.getMessage()).replaceFirst("");
        int offset = offset(text, e.getLine(), e.getColumn());
        if (offset < 0) {
            return ": " + reword(raw, text, offset);
        }
        if (OVERWRITE.matcher(raw).matches()) {
            // The parser stops after the repeated field's name; point at the name itself.
            offset = nameBefore(text, offset);
        }
        String what = reword(raw, text, offset);
        int lineStart = text.lastIndexOf('\n', offset - 1) + 1;
        long line = text.substring(0, lineStart).chars().filter(c -> c == '\n').count() + 1;
        return " line " + line + ", column " + (offset - lineStart + 1) + ": " + what;
    }

    // Each case restates one of the parser's messages; the fallback keeps its words, tidied.
    private static String reword(String raw, String text, int offset) {
        String first = raw.lines().findFirst().orElse("");
        Matcher m;
        if (first.startsWith("Input contains unknown fields and/or extensions:")) {
            String unknown = raw.lines().skip(1).findFirst().orElse("");
            unknown = unknown.substring(unknown.indexOf('\t') + 1).trim();
            int bracket = unknown.indexOf('[');
            return bracket >= 0
                    ? "unknown extension '" + unknown.substring(bracket) + "'"
                    : "unknown field '" + simpleName(unknown) + "'";
        }
        if (first.startsWith("Expected identifier.")) {
            String kind = previousSignificant(text, offset) == ':' ? "an enum value name" : "a field name";
            return "expected " + kind + ", found " + found(text, offset);
        }
        if (first.startsWith("Expected \"true\" or \"false\".")) {
            return "expected true or false, found " + found(text, offset);
        }
        if (first.equals("Expected string.")) {
            return "expected a quoted string, found " + found(text, offset);
        }
        if ((m = EXPECTED_TOKEN.matcher(first)).matches()) {
            // The parser asks for ',' only between list elements, after it found no closing ']'.
            String expected = m.group(1).equals(",") ? "',' or ']'" : "'" + m.group(1) + "'";
            return "expected " + expected + ", found " + found(text, offset);
        }
        if (first.startsWith("Couldn't parse integer:")) {
            if ((m = OUT_OF_RANGE.matcher(first)).find()) {
                return m.group(2) + " is out of range for a " + m.group(1);
            }
            if (first.contains("Number must be positive")) {
                return "expected a non-negative integer, found " + found(text, offset);
            }
            return "expected an integer, found " + found(text, offset);
        }
        if (first.startsWith("Couldn't parse number:")) {
            return "expected a number, found " + found(text, offset);
        }
        if ((m = NO_ENUM_NAME.matcher(first)).matches()) {
            return "unknown " + enumField(m.group(1), text, offset) + " value '" + m.group(2) + "'; expected one of "
                    + enumValues(m.group(1));
        }
        if ((m = NO_ENUM_NUMBER.matcher(first)).matches()) {
            return "unknown " + enumField(m.group(1), text, offset) + " value " + m.group(2) + "; expected one of "
                    + enumValues(m.group(1));
        }
        if ((m = OVERWRITE.matcher(first)).matches()) {
            return "field '" + simpleName(m.group(1)) + "' is set more than once";
        }
        if ((m = ONEOF.matcher(first)).matches()) {
            return "'" + simpleName(m.group(1)) + "' cannot be set together with '" + simpleName(m.group(2))
                    + "'; only one of them may be given";
        }
        if (first.startsWith("String missing ending quote")) {
            return "a string is missing its closing quote";
        }
        if (first.startsWith("Message is nested too deep")) {
            return "the configuration is nested too deeply";
        }
        if (first.startsWith("Invalid repeated scalar field: missing \":\"")) {
            return "expected ':' before '['";
        }
        return tidy(first);
    }

    private static String tidy(String message) {
        String s = message.replace("inference.", "").replace('"', '\'').strip();
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() ? "not a valid configuration" : s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }

    private static String simpleName(String fullName) {
        return fullName.substring(fullName.lastIndexOf('.') + 1);
    }

    /** The field an enum value was written for, or the enum's own name when the text does not show it. */
    private static String enumField(String enumFullName, String text, int offset) {
        // The field name sits just before the value; a bounded look-back keeps this cheap on big files.
        int end = Math.min(Math.max(offset, 0), text.length());
        Matcher m = FIELD_BEFORE_VALUE.matcher(text.substring(Math.max(0, end - LOOK_BACK), end));
        return m.find() ? m.group(1) : simpleName(enumFullName);
    }

    private static String enumValues(String enumFullName) {
        EnumDescriptor type = findEnum(enumFullName);
        return type == null
                ? "the names the configuration format defines"
                : type.getValues().stream().map(EnumValueDescriptor::getName).collect(Collectors.joining(", "));
    }

    private static EnumDescriptor findEnum(String fullName) {
        for (EnumDescriptor type : ModelConfigProto.getDescriptor().getEnumTypes()) {
            if (type.getFullName().equals(fullName)) {
                return type;
            }
        }
        for (Descriptor message : ModelConfigProto.getDescriptor().getMessageTypes()) {
            EnumDescriptor found = findEnum(message, fullName);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static EnumDescriptor findEnum(Descriptor message, String fullName) {
        for (EnumDescriptor type : message.getEnumTypes()) {
            if (type.getFullName().equals(fullName)) {
                return type;
            }
        }
        for (Descriptor nested : message.getNestedTypes()) {
            EnumDescriptor found = findEnum(nested, fullName);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** The character offset of a 1-based line and column, clamped to the text; -1 when unknown. */
    private static int offset(String text, int line, int column) {
        if (line < 1 || column < 1) {
            return -1;
        }
        int start = 0;
        for (int l = 1; l < line; l++) {
            int newline = text.indexOf('\n', start);
            if (newline < 0) {
                return text.length();
            }
            start = newline + 1;
        }
        return Math.min(start + column - 1, text.length());
    }

    /** The start of the field name at or just before {@code offset}; {@code offset} when there is none. */
    private static int nameBefore(String text, int offset) {
        if (offset < text.length() && isWordChar(text.charAt(offset))) {
            return offset;
        }
        int i = offset;
        while (i > 0 && Character.isWhitespace(text.charAt(i - 1))) {
            i--;
        }
        int end = i;
        while (i > 0 && isWordChar(text.charAt(i - 1))) {
            i--;
        }
        return i < end ? i : offset;
    }

    /** The last character before {@code offset} that is not whitespace, or 0. */
    private static char previousSignificant(String text, int offset) {
        for (int i = Math.min(offset, text.length()) - 1; i >= 0; i--) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return text.charAt(i);
            }
        }
        return 0;
    }

    /** The token at {@code offset} as the client wrote it, quoted, or "the end of the file". */
    private static String found(String text, int offset) {
        if (offset < 0) {
            return "something else";
        }
        if (isBlank(text.substring(offset))) {
            return "the end of the file";
        }
        int end = tokenEnd(text, offset);
        String token = text.substring(offset, end);
        if (token.length() > MAX_FOUND) {
            token = token.substring(0, MAX_FOUND) + "...";
        }
        return "'" + token + "'";
    }

    private static int tokenEnd(String text, int start) {
        char c = text.charAt(start);
        int i = start + 1;
        if (c == '"' || c == '\'') {
            while (i < text.length() && text.charAt(i) != '\n') {
                char d = text.charAt(i++);
                if (d == '\\') {
                    i++;
                } else if (d == c) {
                    break;
                }
            }
            return Math.min(i, text.length());
        }
        if (isWordChar(c)) {
            while (i < text.length() && isWordChar(text.charAt(i))) {
                i++;
            }
            return i;
        }
        return Character.isHighSurrogate(c) && i < text.length() ? i + 1 : i;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '+' || c == '-';
    }
}
