package org.taylormlp.arch;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package layers of the main code, lowest first. A class may depend on its own package and on packages of lower
 * layers only; no two packages depend on each other (directly or through others).
 */
class LayersTest {
    /** The allowed order, lowest first ({@code org.taylormlp} itself holds the base exception and the version). */
    static final List<String> LAYERS = List.of(
            "",           // TaylorMlpException, Version
            "tensor",     // dtypes, tensors, the compute kernels
            "format",     // GGUF, safetensors, llama2.c files; mapped memory; atomic writes
            "tokenizer",
            "keys",       // owner keys
            "model",      // config, weights, tokenizer of a loaded checkpoint; the per-format name tables
            "nn",         // the one transformer with a pluggable feed-forward
            "generate",   // decode loop and sampling
            "convert",    // model writers
            "synth",      // synthetic test models
            "chat",       // templates and completion sessions
            "taylor",     // calibration, series maths, release writer/reader, Taylor feed-forward
            "runtime",    // composition root: loading any file (releases included), the engine
            "eval",
            "audit",      // attacks on releases
            "trace",      // fingerprints and tracing
            "server",
            "app",        // the demo workflow
            "api",        // the public Java API
            "cli");

    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.taylormlp");
    }

    static int layer(JavaClass c) {
        String p = c.getPackageName();
        if (!p.startsWith("org.taylormlp")) return -1;
        String rest = p.equals("org.taylormlp") ? "" : p.substring("org.taylormlp.".length());
        String top = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
        return LAYERS.indexOf(top);
    }

    @Test
    void everyPackageHasALayer() {
        TreeSet<String> unknown = new TreeSet<>();
        for (JavaClass c : classes) if (layer(c) < 0) unknown.add(c.getPackageName());
        assertThat(unknown).as("packages missing from LAYERS").isEmpty();
        assertThat(classes.size()).as("classes imported").isGreaterThan(150);
    }

    @Test
    void dependenciesPointDownOnly() {
        TreeSet<String> upward = new TreeSet<>();
        for (JavaClass c : classes) {
            int from = layer(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                int to = layer(d.getTargetClass());
                if (to > from) {
                    upward.add(c.getPackageName() + " -> " + d.getTargetClass().getPackageName() + " (" + c.getSimpleName()
                            + " uses " + d.getTargetClass().getSimpleName() + ")");
                }
            }
        }
        assertThat(upward).as("dependencies on a higher layer").isEmpty();
    }

    @Test
    void theForwardPassSeesOnlyTheKernelsInterface() {
        TreeSet<String> users = new TreeSet<>();
        for (JavaClass c : classes) {
            if (c.getPackageName().equals("org.taylormlp.tensor")) continue;
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String t = d.getTargetClass().getName();
                if (t.equals("org.taylormlp.tensor.VectorKernels") || t.equals("org.taylormlp.tensor.ScalarKernels")) {
                    users.add(c.getSimpleName() + " uses " + d.getTargetClass().getSimpleName());
                }
            }
        }
        assertThat(users).as("code outside tensor/ that names a kernel implementation instead of Kernels").isEmpty();
    }

    /**
     * The scalar kernels, and every class of the main code they reach through its dependencies (tensors, the block
     * decoders, the activation rounding), load on a JVM without the {@code jdk.incubator.vector} module: that is the
     * fallback {@code KernelsProvider} picks there. A Vector API class anywhere in that closure fails such a run with
     * NoClassDefFoundError (a K-quant model once did, through {@code Tensor.read}).
     */
    @Test
    void theScalarKernelsNeedNoVectorApi() {
        java.util.Map<String, String> reachedFrom = new java.util.LinkedHashMap<>();
        java.util.ArrayDeque<JavaClass> todo = new java.util.ArrayDeque<>();
        for (String name : List.of("org.taylormlp.tensor.ScalarKernels", "org.taylormlp.tensor.ScalarOps",
                "org.taylormlp.tensor.ActivationRounding", "org.taylormlp.tensor.Tensor")) {
            reachedFrom.put(name, "(start)");
            todo.add(classes.get(name));
        }
        TreeSet<String> uses = new TreeSet<>();
        while (!todo.isEmpty()) {
            JavaClass c = todo.poll();
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass t = d.getTargetClass();
                String n = t.getName();
                if (n.startsWith("jdk.incubator.vector.")) uses.add(c.getName() + " -> " + n + " (reached from " + reachedFrom.get(c.getName()) + ")");
                if (n.startsWith("org.taylormlp.") && !reachedFrom.containsKey(n)) {
                    reachedFrom.put(n, c.getName());
                    todo.add(t);
                }
            }
        }
        assertThat(reachedFrom).as("classes the scalar kernels reach").containsKey("org.taylormlp.tensor.KBlocks");
        assertThat(uses).isEmpty();
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.taylormlp.(**)").should().beFreeOfCycles().check(classes);
    }
}
