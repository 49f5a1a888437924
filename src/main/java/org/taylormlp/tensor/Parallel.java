package org.taylormlp.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of {@code threads - 1} daemon workers plus the calling thread, for fork-join loops over an index
 * range {@code [0, n)} split into chunks of {@code grain} indices that threads claim dynamically.
 *
 * <p>Design, for decode steps made of hundreds of small products on cores that may be shared:
 * <ul>
 *   <li>Nothing is allocated per call: the caller passes a {@link RangeBody} (usually a reusable job object).</li>
 *   <li>One atomic word holds (job generation, next chunk start); threads claim chunks by CAS on it. A claim
 *       names the generation, so a worker that wakes late can never take a chunk of a finished job.</li>
 *   <li>The caller works too and returns as soon as every index is <em>done</em>; it never waits for a worker
 *       that has not claimed anything (a descheduled worker costs nothing but its share of the work).</li>
 *   <li>Idle workers spin ({@code Thread.onSpinWait}) for {@code -Dtaylormlp.spinMicros} (default 200 µs)
 *       after a job, so the next product of the same step starts without an OS wake-up, then park.</li>
 *   <li>When the caller has run out of chunks but a worker still holds one, it spins for at most
 *       {@code -Dtaylormlp.waitSpinMicros} (default 50 µs), then parks until the worker that finishes the last
 *       chunk unparks it. On an idle machine the wait is a few µs and never reaches the park; on an
 *       oversubscribed one (more runnable threads than cores) the worker may be descheduled for a whole time
 *       slice, and a caller that kept spinning or yielding would take CPU time from it and stall the step
 *       (docs/PERFORMANCE.md).</li>
 * </ul>
 * Calls from different threads are serialized by a lock. A call made from inside a running body (on a worker,
 * or on the caller while it takes part in a job) runs inline on that thread, so nesting cannot deadlock.
 */
public final class Parallel implements AutoCloseable {

    /** A loop body over a half-open chunk {@code [start, end)} of the index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = Long.getLong("taylormlp.spinMicros", 200L) * 1000L;
    private static final long WAIT_SPIN_NANOS = Long.getLong("taylormlp.waitSpinMicros", 50L) * 1000L;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();

    // Job state: written by the caller under the lock before the volatile write of `state` that publishes it.
    private RangeBody body;
    private int total;
    private int grain;
    /** (generation << 32) | next unclaimed index. */
    private final AtomicLong state = new AtomicLong();
    /** Indices of the current job whose chunks have finished. */
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;
    private volatile boolean closed;
    /** The caller, while it is parked (or about to park) waiting for the last chunks of a job; else null. */
    private volatile Thread waiter;

    /** Set on threads while they execute a body of this pool (the caller during a job; workers always). */
    private final ThreadLocal<Boolean> inside = ThreadLocal.withInitial(() -> Boolean.FALSE);

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** Total threads taking part in a job, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of {@code grain} (the last may be shorter) on all threads
     * and returns when every chunk is done. Runs inline (chunk by chunk) when there is one thread, one chunk,
     * or when called from inside a body. An exception thrown by a body is rethrown here once no chunk is running.
     */
    public void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        if (threads == 1 || n <= grain || closed || Thread.currentThread() instanceof Worker || inside.get()) {
            for (int s = 0; s < n; s += grain) body.run(s, Math.min(n - s, grain) + s);
            return;
        }
        lock.lock();
        try {
            inside.set(Boolean.TRUE);
            this.body = body;
            this.total = n;
            this.grain = grain;
            this.failure = null;
            done.set(0);
            long gen = ((state.get() >>> 32) + 1) & 0xffff_ffffL; // 32 bits; wrapping around is harmless
            state.set(gen << 32); // publishes the job
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            work(gen);
            if (done.get() < n) awaitWorkers(n); // only chunks claimed by workers that are still running
            // Close the job before its fields are reused: a worker that read the next job's `total` must not
            // find an unclaimed index under this generation.
            state.set((gen << 32) | Integer.MAX_VALUE);
            this.body = null;
            Throwable t = failure;
            if (t != null) {
                failure = null;
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error er) throw er;
                throw new RuntimeException(t);
            }
        } finally {
            inside.set(Boolean.FALSE);
            lock.unlock();
        }
    }

    /**
     * Waits until all {@code n} indices are done: a bounded spin, then park. Handshake with {@link #work}: the
     * caller publishes {@code waiter} and then reads {@code done}; a worker adds to {@code done} and then reads
     * {@code waiter} (all volatile), so either the caller sees the job done or the finishing worker sees the
     * caller and unparks it. The timed park only guards against the unforeseen.
     */
    private void awaitWorkers(int n) {
        long start = System.nanoTime();
        int spins = 0;
        while (done.get() < n) {
            if ((++spins & 31) != 0 || System.nanoTime() - start < WAIT_SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            waiter = Thread.currentThread();
            if (done.get() < n) LockSupport.parkNanos(this, 1_000_000L);
            waiter = null;
        }
    }

    /** Claims and runs chunks of job {@code gen} until none is left (or the job is over). */
    private void work(long gen) {
        final RangeBody b = body;
        final int n = total, g = grain;
        while (true) {
            long st = state.get();
            int start = (int) st;
            if ((st >>> 32) != gen || start >= n) return;
            int end = Math.min(n - start, g) + start;
            if (!state.compareAndSet(st, st + (end - start))) continue;
            try {
                if (failure == null) b.run(start, end);
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (done.addAndGet(end - start) >= n) {
                    Thread w = waiter;
                    if (w != null) LockSupport.unpark(w);
                }
            }
        }
    }

    /** Stops the workers (they are daemon threads, so this is optional). Later calls run inline. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    @Override
    public String toString() {
        return "Parallel[" + threads + " threads]";
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("taylormlp-kernel-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0; // generation 0 is "no job yet"
            while (!closed) {
                long gen = state.get() >>> 32;
                if (gen == seen) {
                    long start = System.nanoTime();
                    int spins = 0;
                    while ((gen = state.get() >>> 32) == seen && !closed) {
                        if ((++spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                            Thread.onSpinWait();
                        } else {
                            parked = true;
                            if ((state.get() >>> 32) == seen && !closed) LockSupport.park(this);
                            parked = false;
                        }
                    }
                    if (closed) return;
                }
                seen = gen;
                work(gen);
            }
        }
    }
}
