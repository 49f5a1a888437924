package org.taylormlp.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.taylormlp.TestFiles;
import org.taylormlp.format.MappedFile;
import org.taylormlp.format.llama2c.Llama2cReader;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Model;
import org.taylormlp.tensor.ScalarKernels;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ForwardIdsTest {
    @Test
    void stories260KGreedyIdsMatchReference() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(TestFiles.model("stories260K/greedy_reference.json").toFile());
        MappedFile f = MappedFile.open(TestFiles.model("stories260K/stories260K.bin"));
        Llama2cReader.Result r = Llama2cReader.read(f);
        var config = org.taylormlp.model.ModelLoader.llama2cConfig(r.header());
        try (Model m = new Model(f.path(), "llama2c", config, org.taylormlp.model.ModelLoader.llama2cTensors(r), null, Map.of(), List.of(f))) {
            Transformer t = new Transformer(m, ScalarKernels.INSTANCE, 512);
            float[] logits = t.forward(1, 0);
            JsonNode ids = ref.get("greedy_ids_after_BOS");
            for (int i = 0; i < ids.size(); i++) {
                int next = Sampler.argmax(logits, config.vocabSize());
                assertThat(next).as("token %d", i).isEqualTo(ids.get(i).asInt());
                logits = t.forward(next, i + 1);
            }
        }
    }
}
