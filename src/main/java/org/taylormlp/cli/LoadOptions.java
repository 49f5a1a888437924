package org.taylormlp.cli;

import org.taylormlp.model.WeightLoading;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code --load} and {@code --no-mmap}: where a command puts the weights of the model it runs. */
public final class LoadOptions {
    @Option(names = "--load", paramLabel = "MODE", converter = LoadConverter.class,
            description = {"where the weights live while the model runs: mmap (read in place from the mapped file, llama.cpp's default), "
                    + "copy (copied once into private memory with transparent huge pages advised, like llama.cpp's --no-mmap; "
                    + "the kernel cannot reclaim it mid-token), auto (copy when the weights fit in 70 %% of available memory, else mmap). "
                    + "Default: auto (protect: mmap)"})
    WeightLoading load;

    @Option(names = "--no-mmap", description = "same as --load copy")
    boolean noMmap;

    /** The chosen weight placement, or {@code dflt} when neither --load nor --no-mmap was given. */
    public WeightLoading loading(WeightLoading dflt) {
        if (noMmap && load != null && load != WeightLoading.COPY) {
            throw new IllegalArgumentException("--no-mmap contradicts --load " + load);
        }
        return noMmap ? WeightLoading.COPY : load != null ? load : dflt;
    }

    /** Parses --load values with the same message as {@link WeightLoading#parse}. */
    public static final class LoadConverter implements ITypeConverter<WeightLoading> {
        @Override
        public WeightLoading convert(String value) { return WeightLoading.parse(value); }
    }
}
