package dev.dualnet.parity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.common.AtomicFiles;
import dev.dualnet.common.Json;
import dev.dualnet.runtime.ElementType;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes a parity report as JSON and as JUnit XML, for people and for CI systems. The JUnit file
 * has one test case per output, failing exactly when the output fails its tolerance check; the
 * argmax agreement goes into each case's output text and the JSON.
 */
public final class ReportWriter {
    public static final String JSON_FILE = "parity-report.json";
    public static final String JUNIT_FILE = "TEST-dualnet-parity.xml";

    private ReportWriter() {}

    /**
     * Writes both files into {@code dir}, each atomically.
     *
     * @throws IOException if a file cannot be written
     */
    public static void write(ParityReport report, Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(JSON_FILE), json(report));
        AtomicFiles.writeString(dir.resolve(JUNIT_FILE), junit(report));
    }

    static String json(ParityReport report) throws IOException {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("passed", report.passed());
        root.put("argmaxAgrees", report.argmaxAgrees());
        root.put("reference", report.reference());
        root.put("model", report.model());
        root.put("referencePath", report.referencePath());
        root.put("executionProvider", report.executionProvider());
        root.put("samples", report.samples());
        root.putObject("tolerance").put("atol", report.tolerance().atol()).put("rtol", report.tolerance().rtol());
        ArrayNode outputs = root.putArray("outputs");
        for (TensorComparison o : report.outputs()) {
            ObjectNode node = outputs.addObject();
            node.put("name", o.name());
            node.put("passed", o.passed());
            node.put("present", o.present());
            node.put("expectedDtype", ParityBundle.dtypeName(o.expectedType()));
            node.put("actualDtype", o.actualType() == null ? null : ParityBundle.dtypeName(o.actualType()));
            node.set("expectedShape", Json.mapper().valueToTree(o.expectedShape()));
            node.set("actualShape", Json.mapper().valueToTree(o.actualShape()));
            node.put("elements", o.elements());
            node.put("maxAbsError", o.maxAbsError());
            node.put("maxRelError", o.maxRelError());
            node.put("outsideTolerance", o.outsideTolerance());
            if (o.worst() != null) {
                ObjectNode worst = node.putObject("worst");
                worst.put("index", o.worst().index());
                worst.set("coordinates", Json.mapper().valueToTree(o.worst().coordinates()));
                worst.put("expected", o.worst().expected());
                worst.put("actual", o.worst().actual());
            }
            if (o.argmax() != null) {
                node.putObject("argmax").put("rows", o.argmax().rows()).put("agreements", o.argmax().agreements())
                        .put("share", o.argmax().share());
            }
        }
        return Json.writer().writeValueAsString(root);
    }

    static String junit(ParityReport report) throws IOException {
        StringWriter text = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newInstance().createXMLStreamWriter(text);
            long failures = report.outputs().stream().filter(o -> !o.passed()).count();
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("testsuite");
            xml.writeAttribute("name", "dualnet-parity");
            xml.writeAttribute("tests", Integer.toString(report.outputs().size()));
            xml.writeAttribute("failures", Long.toString(failures));
            xml.writeAttribute("errors", "0");
            xml.writeAttribute("skipped", "0");
            for (TensorComparison output : report.outputs()) {
                String line = describe(output, report.tolerance());
                xml.writeStartElement("testcase");
                xml.writeAttribute("classname", "dualnet.parity." + report.reference());
                xml.writeAttribute("name", output.name());
                if (!output.passed()) {
                    xml.writeStartElement("failure");
                    xml.writeAttribute("message", line);
                    xml.writeCharacters(line);
                    xml.writeEndElement();
                }
                xml.writeStartElement("system-out");
                xml.writeCharacters(line);
                xml.writeEndElement();
                xml.writeEndElement();
            }
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write JUnit XML: " + e.getMessage(), e);
        }
        return text.toString();
    }

    /** One line per output, as printed on the console and in the XML: the verdict, then the argmax check. */
    public static String describe(TensorComparison o, Tolerance tolerance) {
        if (!o.present()) {
            return o.name() + ": FAIL; the model has no such output";
        }
        if (!o.shapeMatches()) {
            return String.format(Locale.ROOT, "%s: FAIL; shape %s, expected %s", o.name(),
                    Arrays.toString(o.actualShape()), Arrays.toString(o.expectedShape()));
        }
        String verdict = String.format(Locale.ROOT,
                "%s: %s; dtype %s; max abs error %.3g, max rel error %.3g; %d of %d elements (%.4f%%) outside "
                        + "atol %.0e and rtol %.0e",
                o.name(), o.passed() ? "PASS" : "FAIL",
                o.dtypeMatches() ? ParityBundle.dtypeName(o.actualType())
                        : ParityBundle.dtypeName(o.actualType()) + " MISMATCH, expected "
                                + ParityBundle.dtypeName(o.expectedType()),
                o.maxAbsError(), o.maxRelError(), o.outsideTolerance(), o.elements(), 100 * o.outsideToleranceShare(),
                tolerance.atol(), tolerance.rtol());
        if (o.worst() != null) {
            verdict += "; worst at " + Arrays.toString(o.worst().coordinates()) + ": expected "
                    + value(o.worst().expected(), o.expectedType()) + ", got " + value(o.worst().actual(), o.actualType());
        }
        if (o.argmax() == null) {
            return verdict;
        }
        return verdict + String.format(Locale.ROOT, "; argmax check: %d/%d rows agree (%.2f%%)",
                o.argmax().agreements(), o.argmax().rows(), 100 * o.argmax().share());
    }

    /**
     * A compared value as a person reads it: integers whole, booleans as words, floats to six
     * significant digits without trailing zeros (0.123457, 0.125, 1e-07).
     */
    static String value(double v, ElementType type) {
        switch (type) {
            case FP32, FP64, FP16 -> {
                if (!Double.isFinite(v)) {
                    return Double.toString(v);
                }
                String text = String.format(Locale.ROOT, "%.6g", v);
                int exponent = text.indexOf('e');
                String mantissa = exponent < 0 ? text : text.substring(0, exponent);
                if (mantissa.contains(".")) {
                    mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
                }
                return exponent < 0 ? mantissa : mantissa + text.substring(exponent);
            }
            case BOOL -> {
                return v != 0 ? "true" : "false";
            }
            default -> {
                return Long.toString((long) v);
            }
        }
    }
}
