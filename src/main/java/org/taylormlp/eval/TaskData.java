package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.TaylorMlpException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Evaluation tasks read from the files in {@code shared/data} (see its README): multiple-choice items scored by
 * log-likelihood (MMLU, TruthfulQA, PubMedQA) and GSM8K generation items. A limit of K items takes K items spread
 * evenly over the file ({@link #spread}), not the first K. Prompts are zero-shot (the small
 * models have 256-512 tokens of context); every choice is scored as a continuation of the prompt.
 * <ul>
 *   <li>MMLU ({@code mmlu/test/SUBJECT_test.csv}, header question,choice0..3,answer 0-3):
 *       prompt {@code "Question: Q\nAnswer:"}, choices {@code " CHOICE"}.</li>
 *   <li>TruthfulQA MC ({@code truthfulqa/TruthfulQA.csv}): the choices are "Best Answer" (correct) and every
 *       "Incorrect Answers" entry ({@code "; "}-separated), in an order shuffled with a fixed seed per item (so
 *       that ties can never favour the correct answer); prompt {@code "Q: Q\nA:"}. This is MC1-style.</li>
 *   <li>PubMedQA ({@code pubmedqa/ori_pqal.json} restricted to the 500 PMIDs of {@code test_ground_truth.json},
 *       in that file's order): prompt {@code "Abstract: CONTEXTS\nQuestion: Q\nAnswer:"}, choices
 *       {@code " yes" / " no" / " maybe"}.</li>
 *   <li>GSM8K ({@code gsm8k/test.jsonl}): prompt {@code "Question: Q\nAnswer:"}, greedy generation, the answer
 *       is the number after {@code ####} if generated, else the last number in the text (see
 *       {@link #extractNumber}); gold is the number after {@code ####} in the reference.</li>
 * </ul>
 */
public final class TaskData {
    private TaskData() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static final List<String> MMLU_SUBJECTS = List.of("abstract_algebra", "college_computer_science",
            "computer_security", "high_school_mathematics");

    /** A multiple-choice item: {@code gold} indexes {@code choices}. */
    public record McItem(String id, String prompt, List<String> choices, int gold) {}

    /** A generation item with a gold answer string (normalised number for GSM8K). */
    public record GenItem(String id, String prompt, String gold) {}

    public static List<McItem> mmlu(Path dataDir, List<String> subjects, int limitPerSubject) {
        List<McItem> out = new ArrayList<>();
        for (String subject : subjects) {
            Path f = dataDir.resolve("mmlu").resolve("test").resolve(subject + "_test.csv");
            List<List<String>> rows = Csv.parse(read(f));
            if (rows.isEmpty()) throw new TaylorMlpException(f + ": empty");
            List<String> h = rows.get(0);
            int q = h.indexOf("question"), a = h.indexOf("answer");
            if (q < 0 || a < 0) throw new TaylorMlpException(f + ": expected a header question,choice0..3,answer");
            List<McItem> items = new ArrayList<>();
            for (int r = 1; r < rows.size(); r++) {
                List<String> row = rows.get(r);
                if (row.size() != h.size()) throw new TaylorMlpException(f + ": row " + r + " has " + row.size() + " fields, expected " + h.size());
                List<String> choices = new ArrayList<>();
                for (int k = 0; h.indexOf("choice" + k) >= 0; k++) choices.add(" " + row.get(h.indexOf("choice" + k)).strip());
                int gold;
                try {
                    gold = Integer.parseInt(row.get(a).strip());
                } catch (NumberFormatException e) {
                    throw new TaylorMlpException(f + ": row " + r + ": answer '" + row.get(a) + "' is not 0.." + (choices.size() - 1));
                }
                if (gold < 0 || gold >= choices.size()) throw new TaylorMlpException(f + ": row " + r + ": answer " + gold + " out of range");
                items.add(new McItem(subject + "/" + r, "Question: " + row.get(q).strip() + "\nAnswer:", choices, gold));
            }
            out.addAll(spread(items, limitPerSubject));
        }
        return out;
    }

    public static List<McItem> truthfulqa(Path csv, int limit) {
        List<List<String>> rows = Csv.parse(read(csv));
        if (rows.isEmpty()) throw new TaylorMlpException(csv + ": empty");
        List<String> h = rows.get(0);
        int q = h.indexOf("Question"), best = h.indexOf("Best Answer"), bad = h.indexOf("Incorrect Answers");
        if (q < 0 || best < 0 || bad < 0) throw new TaylorMlpException(csv + ": expected columns Question, Best Answer, Incorrect Answers");
        List<McItem> out = new ArrayList<>();
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() <= Math.max(q, Math.max(best, bad))) continue;
            List<String> choices = new ArrayList<>();
            choices.add(" " + row.get(best).strip());
            for (String s : row.get(bad).split(";")) {
                String t = s.strip();
                if (!t.isEmpty() && !choices.contains(" " + t)) choices.add(" " + t);
            }
            if (choices.size() < 2) continue;
            // deterministic shuffle, tracking the correct answer
            SplittableRandom rnd = new SplittableRandom(r * 0x9E3779B97F4A7C15L);
            int gold = 0;
            for (int i = choices.size() - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                String tmp = choices.get(i);
                choices.set(i, choices.get(j));
                choices.set(j, tmp);
                if (gold == i) gold = j;
                else if (gold == j) gold = i;
            }
            out.add(new McItem("truthfulqa/" + r, "Q: " + row.get(q).strip() + "\nA:", choices, gold));
        }
        return spread(out, limit);
    }

    public static final List<String> PUBMEDQA_LABELS = List.of("yes", "no", "maybe");

    public static List<McItem> pubmedqa(Path dir, int limit) {
        JsonNode all = readJson(dir.resolve("ori_pqal.json"));
        JsonNode truth = readJson(dir.resolve("test_ground_truth.json"));
        List<McItem> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = truth.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode item = all.get(e.getKey());
            if (item == null) throw new TaylorMlpException(dir + ": PMID " + e.getKey() + " of test_ground_truth.json is not in ori_pqal.json");
            StringBuilder ctx = new StringBuilder();
            for (JsonNode c : item.path("CONTEXTS")) {
                if (!ctx.isEmpty()) ctx.append(' ');
                ctx.append(c.asText().strip());
            }
            int gold = PUBMEDQA_LABELS.indexOf(e.getValue().asText().strip().toLowerCase(Locale.ROOT));
            if (gold < 0) throw new TaylorMlpException(dir + ": PMID " + e.getKey() + " has label '" + e.getValue().asText() + "'");
            String prompt = "Abstract: " + ctx + "\nQuestion: " + item.path("QUESTION").asText().strip() + "\nAnswer:";
            out.add(new McItem("pubmedqa/" + e.getKey(), prompt, List.of(" yes", " no", " maybe"), gold));
        }
        return spread(out, limit);
    }

    public static List<GenItem> gsm8k(Path jsonl, int limit) {
        List<GenItem> out = new ArrayList<>();
        int line = 0;
        for (String s : read(jsonl).split("\n")) {
            line++;
            if (s.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(s);
            } catch (IOException e) {
                throw new TaylorMlpException(jsonl + ": line " + line + " is not JSON: " + e.getMessage());
            }
            String answer = n.path("answer").asText();
            int k = answer.lastIndexOf("####");
            if (k < 0) throw new TaylorMlpException(jsonl + ": line " + line + ": answer has no '####'");
            String gold = normaliseNumber(answer.substring(k + 4));
            out.add(new GenItem("gsm8k/" + line, "Question: " + n.path("question").asText().strip() + "\nAnswer:", gold));
        }
        return spread(out, limit);
    }

    /**
     * {@code limit} items spread evenly over the whole list (indices ⌊i·size/limit⌋), in order; all when limit ≤ 0 or
     * the list is shorter. Data files are often sorted (PubMedQA's test split starts with 20+ "yes" items), so the
     * first K items would be a biased sample.
     */
    public static <T> List<T> spread(List<T> all, int limit) {
        if (limit <= 0 || all.size() <= limit) return all;
        List<T> out = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) out.add(all.get((int) ((long) i * all.size() / limit)));
        return out;
    }

    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?\\$?\\d[\\d,]*(\\.\\d+)?");

    /**
     * The answer in generated text: the number after the first {@code ####} if there is one, else the last number
     * in the text; null if there is none. Text from a following {@code "\nQuestion:"} on is ignored.
     */
    public static String extractNumber(String text) {
        int stop = text.indexOf("\nQuestion:");
        if (stop >= 0) text = text.substring(0, stop);
        int k = text.indexOf("####");
        if (k >= 0) {
            java.util.regex.Matcher m = NUMBER.matcher(text.substring(k + 4));
            return m.find() ? normaliseNumber(m.group()) : null;
        }
        java.util.regex.Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) last = m.group();
        return last == null ? null : normaliseNumber(last);
    }

    /** "1,234.50" → "1234.5", "$7" → "7", "-0" → "0". */
    public static String normaliseNumber(String s) {
        String t = s.strip().replace(",", "").replace("$", "");
        if (t.endsWith(".")) t = t.substring(0, t.length() - 1);
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(t).stripTrailingZeros();
            if (d.signum() == 0) return "0";
            return d.toPlainString();
        } catch (NumberFormatException e) {
            return t;
        }
    }

    static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TaylorMlpException(f + ": cannot read: " + e.getMessage(), e);
        }
    }

    static JsonNode readJson(Path f) {
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new TaylorMlpException(f + ": cannot read JSON: " + e.getMessage(), e);
        }
    }
}
