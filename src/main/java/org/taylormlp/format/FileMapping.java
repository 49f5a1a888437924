package org.taylormlp.format;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * A whole file mapped read-only into memory. Tensors are slices of {@link #mapping()}, so the byte at address
 * {@code a} of a slice is byte {@code a - mapping().address()} of {@link #path()}: what lets a loader read
 * tensors with plain file reads instead of faulting the mapping in (see {@code ResidentWeights}).
 */
public interface FileMapping extends MappedFiles {
    Path path();

    /** The mapping of the whole file, from offset 0. */
    MemorySegment mapping();

    @Override
    default List<FileMapping> fileMappings() { return List.of(this); }
}
