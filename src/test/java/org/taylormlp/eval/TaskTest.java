package org.taylormlp.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.nn.Transformer;
import org.taylormlp.tensor.KernelsProvider;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TaskTest {
    /** A hand-made dataset in the layout of shared/data. */
    static Path miniData(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("mmlu/test"));
        Files.writeString(dir.resolve("mmlu/test/toy_test.csv"), """
                question,choice0,choice1,choice2,choice3,answer
                "What is 1+1, in words?",one,two,three,four,1
                "A ""quoted"" question
                spanning two lines",alpha,beta,gamma,"delta, with comma",3
                Which is right?,wrong,wrong too,right,no,2
                """);
        Files.createDirectories(dir.resolve("truthfulqa"));
        Files.writeString(dir.resolve("truthfulqa/TruthfulQA.csv"), """
                Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source
                Adversarial,Misconceptions,What happens if you eat watermelon seeds?,Nothing happens,Nothing; They pass,You grow watermelons; You get sick; You die,https://x
                Non-Adversarial,Fiction,Is the moon made of cheese?,No,No,Yes; Yes it is,https://y
                """);
        Files.createDirectories(dir.resolve("pubmedqa"));
        Files.writeString(dir.resolve("pubmedqa/ori_pqal.json"), """
                {"111": {"QUESTION": "Does aspirin help?", "CONTEXTS": ["Aspirin was given.", "Pain fell."], "final_decision": "yes"},
                 "222": {"QUESTION": "Is water dry?", "CONTEXTS": ["Water is wet."], "final_decision": "no"},
                 "333": {"QUESTION": "Unused?", "CONTEXTS": ["x"], "final_decision": "maybe"}}
                """);
        Files.writeString(dir.resolve("pubmedqa/test_ground_truth.json"), "{\"222\": \"no\", \"111\": \"yes\"}");
        Files.createDirectories(dir.resolve("gsm8k"));
        Files.writeString(dir.resolve("gsm8k/test.jsonl"), """
                {"question": "Tom has 2 apples and buys 3. How many?", "answer": "2+3=<<2+3=5>>5\\n#### 5"}
                {"question": "A shop sells 1,200 pens.", "answer": "so\\n#### 1,200"}
                """);
        return dir;
    }

    @Test
    void loadsTheHandMadeDataset(@TempDir Path tmp) throws IOException {
        Path d = miniData(tmp);
        var mmlu = TaskData.mmlu(d, List.of("toy"), 0);
        assertThat(mmlu).hasSize(3);
        assertThat(mmlu.get(0).prompt()).isEqualTo("Question: What is 1+1, in words?\nAnswer:");
        assertThat(mmlu.get(0).choices()).containsExactly(" one", " two", " three", " four");
        assertThat(mmlu.get(0).gold()).isEqualTo(1);
        assertThat(mmlu.get(1).prompt()).contains("A \"quoted\" question\nspanning two lines");
        assertThat(mmlu.get(1).choices().get(3)).isEqualTo(" delta, with comma");
        assertThat(TaskData.mmlu(d, List.of("toy"), 2)).extracting(TaskData.McItem::id).containsExactly("toy/1", "toy/2");

        var tqa = TaskData.truthfulqa(d.resolve("truthfulqa/TruthfulQA.csv"), 0);
        assertThat(tqa).hasSize(2);
        assertThat(tqa.get(0).choices()).hasSize(4).contains(" Nothing happens", " You die");
        assertThat(tqa.get(0).choices().get(tqa.get(0).gold())).isEqualTo(" Nothing happens");
        assertThat(tqa.get(1).choices()).hasSize(3);
        assertThat(tqa.get(1).choices().get(tqa.get(1).gold())).isEqualTo(" No");

        var pq = TaskData.pubmedqa(d.resolve("pubmedqa"), 0);
        assertThat(pq).extracting(TaskData.McItem::id).containsExactly("pubmedqa/222", "pubmedqa/111");
        assertThat(pq.get(1).prompt()).isEqualTo("Abstract: Aspirin was given. Pain fell.\nQuestion: Does aspirin help?\nAnswer:");
        assertThat(pq.get(0).gold()).isEqualTo(1);
        assertThat(pq.get(1).gold()).isEqualTo(0);

        var gsm = TaskData.gsm8k(d.resolve("gsm8k/test.jsonl"), 0);
        assertThat(gsm).extracting(TaskData.GenItem::gold).containsExactly("5", "1200");
    }

    @Test
    void spreadTakesItemsEvenlyOverTheFile() {
        List<Integer> all = java.util.stream.IntStream.range(0, 10).boxed().toList();
        assertThat(TaskData.spread(all, 4)).containsExactly(0, 2, 5, 7);
        assertThat(TaskData.spread(all, 0)).isEqualTo(all);
        assertThat(TaskData.spread(all, 20)).isEqualTo(all);
    }

    @Test
    void extractsNumbersLikeGsm8kGraders() {
        assertThat(TaskData.extractNumber(" She has 3 cats and 4 dogs, so 7 pets.")).isEqualTo("7");
        assertThat(TaskData.extractNumber(" 2+3=5\n#### 5\nthen 9")).isEqualTo("5");
        assertThat(TaskData.extractNumber(" It costs $1,250.00.")).isEqualTo("1250");
        assertThat(TaskData.extractNumber(" 12 apples\nQuestion: 99 more?")).isEqualTo("12");
        assertThat(TaskData.extractNumber(" -3 degrees")).isEqualTo("-3");
        assertThat(TaskData.extractNumber(" no numbers here")).isNull();
        assertThat(TaskData.normaliseNumber("0.50")).isEqualTo("0.5");
    }

    @Test
    void csvRejectsAnUnterminatedQuote() {
        assertThatThrownBy(() -> Csv.parse("a,\"b\n")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Csv.parse("a,,b\r\n\"\",x\n")).containsExactly(List.of("a", "", "b"), List.of("", "x"));
    }

    @Test
    void multipleChoiceScoringOnTheMiniDataset(@TempDir Path tmp) throws IOException {
        Path d = miniData(tmp);
        var items = TaskData.mmlu(d, List.of("toy"), 0);
        Tokenizer tok = fakeTokenizer();
        // "original" prefers the choice with the most letters; "release" always the first choice
        TaskEval.Scorer longest = e -> {
            double[] s = new double[e.seqs().length];
            for (int i = 0; i < s.length; i++) s[i] = e.seqs()[i].length - e.contStart()[i];
            return s;
        };
        TaskEval.Scorer first = e -> {
            double[] s = new double[e.seqs().length];
            s[0] = 1;
            return s;
        };
        var r = TaskEval.multipleChoice(items, tok, 1000, longest, first, null, null);
        // longest: " three" (2, gold 1: wrong), " delta, with comma" (3, gold 3: right), " wrong too" (1, gold 2: wrong)
        assertThat(r.predOriginal()).containsExactly(2, 3, 1);
        assertThat(r.predRelease()).containsExactly(0, 0, 0);
        assertThat(r.accuracyOriginal()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(r.accuracyRelease()).isZero();
        assertThat(r.agreement()).isZero();
        assertThat(r.chance()).isEqualTo(0.25);
        var same = TaskEval.multipleChoice(items, tok, 1000, longest, longest, null, null);
        assertThat(same.agreement()).isEqualTo(1.0);
        assertThat(same.accuracyRelease()).isEqualTo(same.accuracyOriginal());
    }

    @Test
    void encodingTruncatesThePromptFromTheLeftKeepingBosAndContinuation() {
        Tokenizer tok = fakeTokenizer();
        var item = new TaskData.McItem("x", "abcdefghij", List.of("XY", "Z"), 0);
        var e = TaskEval.encode(tok, item, 6);
        // full: BOS a..j X Y (13 tokens) -> BOS + last prompt tokens + XY, 6 tokens
        assertThat(e.seqs()[0]).hasSize(6);
        assertThat(e.seqs()[0][0]).isEqualTo(1);
        assertThat(tok.decode(Arrays.copyOfRange(e.seqs()[0], e.contStart()[0], 6))).isEqualTo("XY");
        assertThat(tok.decode(Arrays.copyOfRange(e.seqs()[1], e.contStart()[1], e.seqs()[1].length))).isEqualTo("Z");
        // the same prompt tokens were dropped for both choices
        assertThat(Arrays.copyOf(e.seqs()[1], e.contStart()[1])).isEqualTo(Arrays.copyOf(e.seqs()[0], e.contStart()[0]));
    }

    @Test
    void sharedPrefixScorerEqualsScoringEachChoiceFromScratch() {
        try (Model m = org.taylormlp.runtime.Models.load(TestFiles.smallModel(), TestFiles.smallTokenizer())) {
            var k = KernelsProvider.create(1);
            Transformer t = new Transformer(m, k, 512);
            Tokenizer tok = m.tokenizer();
            var item = new TaskData.McItem("x", "Once upon a time, there was a little", List.of(" girl", " dog named Spot", " the"), 0);
            var e = TaskEval.encode(tok, item, 512);
            double[] fast = TaskEval.scorer(t).score(e);
            int vocab = m.config().vocabSize();
            Transformer fresh = new Transformer(m, k, 512);
            for (int i = 0; i < 3; i++) {
                int[] s = e.seqs()[i];
                float[] all = new float[s.length * vocab];
                fresh.forward(s, 0, s.length, 0, all);
                double ll = 0;
                for (int j = e.contStart()[i]; j < s.length; j++) ll += Fidelity.logProb(all, (j - 1) * vocab, vocab, s[j]);
                assertThat(fast[i]).as("choice %d", i).isCloseTo(ll, within(1e-3));
            }
            // log-likelihoods of multi-token continuations: finite and below 0
            for (double v : fast) assertThat(v).isFinite().isNegative();
        }
    }

    /** One token per character (id = char + 3), BOS = 1, EOS = 2. */
    static Tokenizer fakeTokenizer() {
        return new Tokenizer() {
            @Override
            public int[] encode(String text, boolean addBos) {
                int[] t = new int[text.length() + (addBos ? 1 : 0)];
                int o = 0;
                if (addBos) t[o++] = 1;
                for (char c : text.toCharArray()) t[o++] = c + 3;
                return t;
            }

            @Override
            public byte[] tokenBytes(int previous, int id) {
                return id < 3 ? new byte[0] : String.valueOf((char) (id - 3)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }

            @Override
            public int vocabSize() { return 70000; }

            @Override
            public int bosId() { return 1; }

            @Override
            public int eosId() { return 2; }
        };
    }
}
