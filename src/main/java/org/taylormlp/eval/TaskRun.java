package org.taylormlp.eval;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.nn.Transformer;
import org.taylormlp.runtime.Progress;
import org.taylormlp.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One task of an eval, answered by both models: MMLU, TruthfulQA, PubMedQA by log-likelihood, GSM8K by generation. */
final class TaskRun {
    private TaskRun() {}

    static final List<String> TASKS = List.of("mmlu", "truthfulqa", "pubmedqa", "gsm8k");

    static EvalReport.TaskResult run(String task, EvalOptions o, Tokenizer tok, Transformer ta, Transformer tb, int ctx) {
        Path d = o.taskData();
        if (task.equals("gsm8k")) {
            List<TaskData.GenItem> items = TaskData.gsm8k(d.resolve("gsm8k").resolve("test.jsonl"), o.taskItems());
            TaskEval.GenResult r;
            try (Progress bar = Progress.start("gsm8k", items.size())) {
                r = TaskEval.generation(items, tok, ta, tb, o.gsm8kTokens(), bar::stepTo, null);
            }
            List<EvalReport.Answer> answers = new ArrayList<>();
            for (int i = 0; i < r.items(); i++) {
                answers.add(new EvalReport.Answer(items.get(i).id(), r.gold()[i], r.answerOriginal()[i], r.answerRelease()[i]));
            }
            return new EvalReport.GenerationTask(r.items(), r.accuracyOriginal(), r.accuracyRelease(), r.agreement(),
                    r.identicalTextRate(), Math.max(1, Math.min(o.gsm8kTokens(), ctx / 2)), answers);
        }
        List<TaskData.McItem> items = switch (task) {
            case "mmlu" -> TaskData.mmlu(d, o.mmluSubjects(), o.taskItems());
            case "truthfulqa" -> TaskData.truthfulqa(d.resolve("truthfulqa").resolve("TruthfulQA.csv"), o.taskItems());
            case "pubmedqa" -> TaskData.pubmedqa(d.resolve("pubmedqa"), o.taskItems());
            default -> throw new TaylorMlpException("unknown task '" + task + "' (mmlu, truthfulqa, pubmedqa, gsm8k)");
        };
        TaskEval.McResult r;
        try (Progress bar = Progress.start(task, items.size())) {
            r = TaskEval.multipleChoice(items, tok, ctx, TaskEval.scorer(ta), TaskEval.scorer(tb), bar::stepTo, null);
        }
        List<EvalReport.Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < r.items(); i++) {
            predictions.add(new EvalReport.Prediction(items.get(i).id(), r.gold()[i], r.predOriginal()[i], r.predRelease()[i]));
        }
        Map<String, EvalReport.SubjectScore> subjects = null;
        if (task.equals("mmlu")) {
            subjects = new LinkedHashMap<>();
            for (String s : o.mmluSubjects()) {
                int k = 0, ca = 0, cb = 0, ag = 0;
                for (int i = 0; i < items.size(); i++) {
                    if (!items.get(i).id().startsWith(s + "/")) continue;
                    k++;
                    if (r.predOriginal()[i] == r.gold()[i]) ca++;
                    if (r.predRelease()[i] == r.gold()[i]) cb++;
                    if (r.predOriginal()[i] == r.predRelease()[i]) ag++;
                }
                subjects.put(s, new EvalReport.SubjectScore(k, k == 0 ? Double.NaN : (double) ca / k,
                        k == 0 ? Double.NaN : (double) cb / k, k == 0 ? Double.NaN : (double) ag / k));
            }
        }
        return new EvalReport.ChoiceTask(r.items(), r.accuracyOriginal(), r.accuracyRelease(), r.agreement(), r.chance(),
                predictions, subjects);
    }
}
