package dev.dualnet.exporter.parity;

import dev.dualnet.runtime.parity.OutputComparison;
import dev.dualnet.trainer.util.AtomicFiles;
import dev.dualnet.trainer.util.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** Writes a parity report as JSON and as JUnit XML (one test case per output), for CI systems. */
public final class ReportWriter {
    public static final String JSON_FILE = "parity-report.json";
    public static final String JUNIT_FILE = "TEST-dualnet-parity.xml";

    private ReportWriter() {}

    /**
     * @throws IOException if a file cannot be written
     */
    public static void write(ParityReport report, Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(JSON_FILE), Json.writer().writeValueAsString(report));
        AtomicFiles.writeString(dir.resolve(JUNIT_FILE), junit(report));
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
            for (OutputComparison output : report.outputs()) {
                xml.writeStartElement("testcase");
                xml.writeAttribute("classname", "dualnet.parity." + report.reference());
                xml.writeAttribute("name", output.name());
                if (!output.passed()) {
                    xml.writeStartElement("failure");
                    xml.writeAttribute("message", describe(output, report));
                    xml.writeCharacters(describe(output, report));
                    xml.writeEndElement();
                }
                xml.writeStartElement("system-out");
                xml.writeCharacters(describe(output, report));
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

    /** One line per output, as printed on the console and in the XML. */
    public static String describe(OutputComparison o, ParityReport report) {
        return String.format(Locale.ROOT,
                "%s: %s; shape %s, dtype %s; max abs error %.3g, max rel error %.3g; %d of %d elements "
                        + "(%.4f%%) outside atol %.0e and rtol %.0e; argmax agreement %d/%d (%.2f%%)",
                o.name(), o.passed() ? "PASS" : "FAIL", o.shapeMatches() ? "ok" : "MISMATCH",
                o.dtypeMatches() ? "ok" : "MISMATCH", o.maxAbsError(), o.maxRelError(), o.outsideTolerance(),
                o.elements(), 100 * o.outsideToleranceShare(), report.atol(), report.rtol(), o.argmaxAgreements(),
                o.rows(), 100 * o.argmaxAgreement());
    }
}
