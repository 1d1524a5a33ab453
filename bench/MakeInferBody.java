import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dualnet.runtime.parity.ParityBundle;
import java.nio.file.Path;
import java.util.Arrays;

/** Prints a single-sample Open Inference Protocol infer body built from a parity bundle's first pair. */
public class MakeInferBody {
    public static void main(String[] args) throws Exception {
        ParityBundle bundle = ParityBundle.read(Path.of(args[0]));
        ObjectMapper json = new ObjectMapper();
        ObjectNode body = json.createObjectNode();
        ArrayNode inputs = body.putArray("inputs");
        ObjectNode image = inputs.addObject().put("name", "image").put("datatype", "FP32");
        image.putArray("shape").add(1).add(1).add(28).add(28);
        image.set("data", json.valueToTree(Arrays.copyOf(bundle.inputs().get("image").floats(), 784)));
        ObjectNode number = inputs.addObject().put("name", "number").put("datatype", "INT64");
        number.putArray("shape").add(1);
        number.putArray("data").add(bundle.inputs().get("number").longs()[0]);
        System.out.println(json.writeValueAsString(body));
    }
}
