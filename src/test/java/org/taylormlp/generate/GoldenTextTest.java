package org.taylormlp.generate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.tokenizer.TokenStreamDecoder;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Greedy output of the real stories models equals the text printed by the reference C implementation
 * (llama2.c run.c -t 0 -n STEPS), for the full stored length.
 */
class GoldenTextTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "stories260K/stories260K.bin, stories260K/run_c_t0_n200.txt, 200",
            "stories260K-gguf/stories260K.gguf, stories260K-gguf/run_c_t0_n200_via_conversion.txt, 200",
            "stories15M/stories15M.bin, stories15M/run_c_t0_n256.txt, 256"})
    void greedyTextEqualsReference(String model, String reference, int steps) throws Exception {
        String expected = Files.readString(TestFiles.model(reference)).stripTrailing();
        Path m = TestFiles.model(model);
        try (Engine e = Engine.open(m, null, 2, steps + 1)) {
            var tok = e.model().tokenizer();
            StringBuilder text = new StringBuilder();
            TokenStreamDecoder dec = new TokenStreamDecoder(tok, tok.bosId());
            // run.c: `steps` forward passes from BOS, each sampling one token (stops early at BOS).
            Generator.Result r = new Generator(e.transformer(), tok).generate(new int[]{tok.bosId()}, steps,
                    Sampler.greedy(), (prev, id) -> {
                        text.append(dec.accept(id));
                        return true;
                    });
            text.append(dec.flush());
            assertThat(text.toString().stripTrailing()).isEqualTo(expected);
            assertThat(r.tokens().length).isGreaterThan(steps / 2);
        }
    }
}
