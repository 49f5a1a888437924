package org.taylormlp.api;

/** What an opened file is: its format, architecture, size, and whether it is a TaylorMLP release. */
public record ModelInfo(String path, String format, String architecture, long parameters, int layers, int embeddingDim,
                        int vocabSize, int contextLength, boolean release) {}
