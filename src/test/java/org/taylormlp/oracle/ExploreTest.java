package org.taylormlp.oracle;

import org.junit.jupiter.api.Test;
import org.taylormlp.app.SyntheticModels;
import org.taylormlp.app.Engine;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.KernelsProvider;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

class ExploreTest {
    @Test
    void explore() throws Exception {
        Path dir = Files.createDirectories(Path.of("target/explore"));
        for (SyntheticModels.Family f : SyntheticModels.Family.values()) {
            Path g = dir.resolve(f + ".gguf");
            try (Model m = SyntheticModels.create(SyntheticModels.tiny(f))) {
                System.out.println(ModelWriters.writeGguf(m, null, g).summary());
            }
            int[] prompt = f == SyntheticModels.Family.LLAMA || f == SyntheticModels.Family.MISTRAL ? new int[]{1, 403, 407, 261} : new int[]{300, 310, 320, 290};
            try (Engine e = Engine.open(g, null, 1, 256)) {
                GreedyTrace tr = GreedyTrace.run(e.transformer(), prompt, 32);
                System.out.println(f + " ours  " + Arrays.toString(tr.ids()) + " distinct " + tr.distinct() + " minMargin " + tr.minMargin());
                System.out.println(f + " p     " + Arrays.toString(tr.top1()));
                LlamaOracle.Run r = LlamaOracle.greedy(g, prompt, 32, true);
                System.out.println(f + " llama " + Arrays.toString(r.ids()));
                double maxd = 0;
                for (int i = 0; i < Math.min(r.ids().length, 32); i++) maxd = Math.max(maxd, Math.abs(r.top1()[i] - tr.top1()[i]));
                System.out.println(f + " maxdiff " + maxd);
                StringBuilder sb = new StringBuilder(); for (int i = 0; i < 32; i++) sb.append(String.format("%.4f/%+.5f/%.2f ", tr.top1()[i], r.top1()[i]-tr.top1()[i], tr.margin()[i])); System.out.println(sb);
            } catch (Throwable t) {
                System.out.println(f + " FAILED " + t);
            }
        }
    }
}
