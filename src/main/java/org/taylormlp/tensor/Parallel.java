package org.taylormlp.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of {@code threads - 1} daemon workers plus the calling thread, for fork-join loops over an index
 * range {@code [0, n)} split into chunks of {@code grain} indices that threads claim dynamically (an atomic
 * counter; robust when a core is shared with other processes).
 *
 * <p>Nothing is allocated per call: the caller passes a {@link RangeBody} (usually a reusable, mutable job
 * object), workers are woken by a volatile generation counter, spin for a short while
 * ({@code -Dtaylormlp.spinMicros}, default 200 µs) between jobs so that the back-to-back products of a decode
 * step do not pay an OS wake-up each, and then park.
 *
 * <p>Calls from different threads are serialized by a lock. A call made from inside a running body (a worker
 * or the caller participating in a job) runs inline on that thread, so nesting cannot deadlock.
 */
public final class Parallel implements AutoCloseable {

    /** A loop body over a half-open chunk {@code [start, end)} of the index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = Long.getLong("taylormlp.spinMicros", 200L) * 1000L;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();

    // Job state: written by the caller under the lock before the volatile generation bump (which publishes it).
    private RangeBody body;
    private int total;
    private int grain;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** Set on threads while they execute a body of this pool (workers always; the caller during a job). */
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
     * or when called from inside a body. An exception thrown by a body is rethrown here (after all threads have stopped).
     */
    public void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        if (threads == 1 || n <= grain || closed || inside.get() || Thread.currentThread() instanceof Worker) {
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
            next.set(0);
            pending.set(workers.length);
            generation++; // publishes the job
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            Throwable mine = null;
            try {
                work();
            } catch (Throwable t) {
                mine = t;
                next.set(Integer.MAX_VALUE / 2); // stop handing out chunks
            }
            awaitWorkers();
            this.body = null;
            Throwable theirs = failure;
            if (mine == null) mine = theirs;
            if (mine instanceof RuntimeException re) throw re;
            if (mine instanceof Error er) throw er;
            if (mine != null) throw new RuntimeException(mine);
        } finally {
            inside.set(Boolean.FALSE);
            lock.unlock();
        }
    }

    private void work() {
        final RangeBody b = body;
        final int n = total, g = grain;
        int s;
        while ((s = next.getAndAdd(g)) < n) {
            b.run(s, Math.min(n - s, g) + s);
        }
    }

    private void awaitWorkers() {
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < 1 << 16) Thread.onSpinWait();
            else Thread.yield();
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
            int seen = 0; // the generation when the pool was built (not read here: a job may already be posted)
            while (!closed) {
                if (generation == seen) {
                    long start = System.nanoTime();
                    int spins = 0;
                    while (generation == seen && !closed) {
                        if ((++spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                            Thread.onSpinWait();
                        } else {
                            parked = true;
                            if (generation == seen && !closed) LockSupport.park(this);
                            parked = false;
                        }
                    }
                    if (closed) return;
                }
                seen = generation;
                try {
                    work();
                } catch (Throwable t) {
                    failure = t;
                    next.set(Integer.MAX_VALUE / 2);
                }
                pending.decrementAndGet();
            }
        }
    }
}
