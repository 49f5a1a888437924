package org.taylormlp.server;

import org.taylormlp.chat.CompletionSession;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one thread that runs the model, fed by a bounded queue. The model is not thread-safe, so requests are
 * served one at a time; at most {@code capacity} more wait. {@link #submit} never blocks: when the queue is full
 * it says no and the caller answers 429. Each job reports through its own event queue (text pieces, then
 * exactly one {@link Done} or {@link Failed}), so a slow client never holds up the model.
 */
final class GenerationWorker implements AutoCloseable {
    sealed interface Event permits Piece, Done, Failed {}

    record Piece(String text) implements Event {}

    record Done(CompletionSession.Result result) implements Event {}

    record Failed(Throwable error) implements Event {}

    /** One generation request and the events it produces. */
    static final class Job {
        final CompletionSession.Request request;
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final AtomicBoolean cancelled = new AtomicBoolean();

        Job(CompletionSession.Request request) { this.request = request; }

        boolean cancelled() { return cancelled.get(); }
    }

    /** Counters since start. */
    record Stats(long accepted, long rejected, long completed, long cancelled, long failed, int waiting, boolean busy) {}

    private final CompletionSession session;
    private final ArrayBlockingQueue<Job> queue;
    private final Thread thread;
    private final Object lock = new Object();
    private boolean accepting = true;
    private volatile boolean closing;
    private volatile boolean abort;
    private volatile Job running;
    private volatile Hold hold;
    private final AtomicLong accepted = new AtomicLong(), rejected = new AtomicLong(), completed = new AtomicLong(),
            cancelledJobs = new AtomicLong(), failed = new AtomicLong();

    GenerationWorker(CompletionSession session, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("queue capacity must be >= 1, got " + capacity);
        this.session = session;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().name("taylormlp-generation").unstarted(this::loop);
        thread.start();
    }

    /**
     * Queues {@code job}; false when the queue is full.
     *
     * @throws ApiException 503 once shutdown has begun
     */
    boolean submit(Job job) {
        synchronized (lock) {
            if (!accepting) throw new ApiException(503, "server_error", "The server is shutting down.", null, "shutting_down");
            if (queue.offer(job)) {
                accepted.incrementAndGet();
                return true;
            }
            rejected.incrementAndGet();
            return false;
        }
    }

    /** Stops {@code job}: removed if still waiting, otherwise ended before its next token. */
    void cancel(Job job) {
        job.cancelled.set(true);
        if (queue.remove(job)) {
            cancelledJobs.incrementAndGet();
            job.events.add(new Failed(new ApiException(499, "invalid_request_error", "The request was cancelled.", null, "cancelled")));
        }
    }

    boolean isAlive() { return thread.isAlive(); }

    Stats stats() {
        return new Stats(accepted.get(), rejected.get(), completed.get(), cancelledJobs.get(), failed.get(), queue.size(),
                running != null);
    }

    private void loop() {
        while (true) {
            Job job;
            try {
                job = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (job == null) {
                if (closing) return;
                continue;
            }
            if (job.cancelled()) {
                cancelledJobs.incrementAndGet();
                job.events.add(new Failed(new ApiException(499, "invalid_request_error", "The request was cancelled.", null, "cancelled")));
                continue;
            }
            running = job;
            try {
                CompletionSession.Result r = session.run(job.request, s -> {
                    Hold h = hold;
                    // marked held before the piece is visible, so whoever sees the piece sees the worker held
                    if (h != null) h.reached.countDown();
                    job.events.add(new Piece(s));
                    if (h != null) pause(h);
                }, () -> job.cancelled() || abort);
                if (r.finish() == CompletionSession.Finish.CANCELLED) cancelledJobs.incrementAndGet();
                else completed.incrementAndGet();
                job.events.add(new Done(r));
            } catch (Throwable t) {
                failed.incrementAndGet();
                job.events.add(new Failed(t));
            } finally {
                running = null;
            }
        }
    }

    /**
     * Test hook: while a {@link Hold} is installed, the worker stops after emitting each piece of text until the hold
     * is released (or {@code maxHold} passes), so a test can observe "busy", a full queue or a mid-stream state
     * without depending on how fast the model runs. Never installed outside tests.
     */
    static final class Hold implements AutoCloseable {
        private final GenerationWorker worker;
        private final Duration maxHold;
        private final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1),
                released = new java.util.concurrent.CountDownLatch(1);

        private Hold(GenerationWorker worker, Duration maxHold) {
            this.worker = worker;
            this.maxHold = maxHold;
        }

        /** Waits until the worker is held (it has emitted a piece of a running job); false on timeout. */
        boolean awaitHeld(Duration timeout) throws InterruptedException {
            return reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** True while the worker is stopped at this hold (reached and not yet released). */
        boolean holding() { return reached.getCount() == 0 && released.getCount() == 1; }

        /**
         * True once the job the worker is running has been cancelled (its client left): lets a test keep the worker
         * held until the server has noticed a disconnect, instead of racing the rest of the generation against it.
         */
        boolean runningJobCancelled() {
            Job j = worker.running;
            return j != null && j.cancelled();
        }

        /** Removes the hold and lets the worker go on. Idempotent. */
        @Override
        public void close() {
            if (worker.hold == this) worker.hold = null;
            released.countDown();
        }
    }

    /** Installs a {@link Hold} (test hook); {@code maxHold} bounds each stop so a forgotten hold cannot hang. */
    Hold hold(Duration maxHold) {
        Hold h = new Hold(this, maxHold);
        hold = h;
        return h;
    }

    private static void pause(Hold h) {
        try {
            h.released.await(h.maxHold.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // nothing interrupts the worker thread; should something do so, go on rather than end the worker
        }
    }

    /** Refuses new jobs and fails the waiting ones (503); the running one goes on. */
    void stopAccepting() {
        List<Job> dropped = new ArrayList<>();
        synchronized (lock) {
            accepting = false;
            queue.drainTo(dropped);
        }
        for (Job j : dropped) {
            j.events.add(new Failed(new ApiException(503, "server_error", "The server is shutting down.", null, "shutting_down")));
        }
    }

    /** Lets the running job finish within {@code grace}, then aborts it, and ends the thread. */
    void shutdown(Duration grace) {
        stopAccepting();
        closing = true;
        try {
            thread.join(Math.max(1, grace.toMillis()));
            if (thread.isAlive()) {
                abort = true;
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
