package org.taylormlp.taylor;

import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.runtime.TextData;

import java.nio.file.Path;
import java.util.List;

/**
 * Shared set-up for release tests: calibration on the first TinyStories paragraphs, held-out text after them. Without
 * the team's test assets (a bare clone) calibration uses text the model samples itself, as the demo does; the
 * held-out TinyStories text has no stand-in (tests that need it are skipped, naming it).
 */
final class ReleaseFixtures {
    private ReleaseFixtures() {}

    static final int CALIBRATION_PARAGRAPHS = 600;

    static Path tinyStories() { return TestFiles.data("tinystories/tinystories_validation_head.txt"); }

    static List<String> calibrationParagraphs() {
        return TextData.paragraphs(tinyStories()).subList(0, CALIBRATION_PARAGRAPHS);
    }

    static List<String> heldOutParagraphs() {
        List<String> all = TextData.paragraphs(tinyStories());
        return all.subList(CALIBRATION_PARAGRAPHS, all.size());
    }

    static CalibrationStats calibrate(Engine e, long tokens) {
        List<int[]> seqs = TestFiles.hasAsset("data/tinystories/tinystories_validation_head.txt")
                ? TextData.encode(e.model().tokenizer(), calibrationParagraphs(), tokens, e.transformer().maxContext())
                : SelfText.sample(e, (int) tokens, 1000);
        return Calibrator.calibrate(e.transformer(), seqs, tokens, e.transformer().maxContext(), null);
    }

    static Selection.Plan plan(Engine e, CalibrationStats s, String rule, int order) {
        return Selection.select(rule, s, e.model().config().activation(), order);
    }
}
