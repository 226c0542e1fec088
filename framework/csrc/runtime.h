/*
 * runtime.h -- how the C kernels choose threads and report running out of memory.
 *
 * Internal to the C kernels (not part of the cffi API in kernels.h);
 * implemented in gemm.c, which owns the thread count.
 *
 * Threads. kernel_threads(flops, units) is the one place a kernel asks how
 * many threads a call of `flops` floating-point operations, divisible into
 * `units` independent pieces, should run on. It answers 1
 *   - for small calls (below KERNEL_FLOPS_PER_THREAD per thread),
 *   - in the child of a fork() made after the kernel used threads: GNU
 *     OpenMP's thread pool does not survive fork, and the child's first
 *     parallel region would wait forever for threads that do not exist
 *     (see the pthread_atfork handler in gemm.c),
 *   - while the machine looks busy: a recent parallel call waited at its
 *     join for a thread that other processes kept off the CPU, longer than
 *     the call would have taken on one thread. It then runs single-threaded
 *     for a while (0.1 s, doubling up to 2 s while probes stay bad) and tries
 *     threads again.
 * Each parallel region of more than one thread is timed with region_clock:
 *   region_clock rc; region_begin(&rc);
 *   #pragma omp parallel num_threads(nt)
 *   { ...own share...; if (omp_get_thread_num() == 0) region_mark(&rc); }
 *   region_end(&rc);
 * region_end compares the master's wait at the join with its own work.
 *
 * Out of memory. A kernel that cannot allocate a buffer stops without
 * finishing and calls kernel_out_of_memory() on the thread that called it
 * from Python (the flag is thread-local, so concurrent calls from other
 * Python threads are not blamed; a failure inside a parallel region is
 * collected in a shared variable and reported after the join); the Python
 * wrapper asks kernel_take_error() (kernels.h) after the call and raises
 * MemoryError. kernel_malloc/kernel_calloc/kernel_aligned_alloc are
 * malloc/calloc/aligned_alloc with a test hook (kernel_fail_allocations in
 * kernels.h) that makes a chosen one fail. The per-thread buffers kept
 * between calls are dropped and allocated anew when
 * kernel_buffer_generation() changes (the hook bumps it), so a test reaches
 * their allocations too.
 */
#ifndef FRAMEWORK_RUNTIME_H
#define FRAMEWORK_RUNTIME_H

#include <stddef.h>

/* below this many flops per thread a thread costs more than it saves */
#define KERNEL_FLOPS_PER_THREAD 1000000.0

int kernel_threads(double flops, long units);

typedef struct {
    double start;   /* seconds, monotonic, before the region */
    double master;  /* seconds the master spent on its own share */
    int nt;         /* threads asked for */
} region_clock;

void region_begin(region_clock *rc, int nt);
void region_mark(region_clock *rc);
void region_end(region_clock *rc);

void kernel_out_of_memory(void); /* on the calling thread only (see below) */
unsigned kernel_buffer_generation(void);
void *kernel_malloc(size_t bytes);
void *kernel_calloc(size_t count, size_t size);
void *kernel_aligned_alloc(size_t alignment, size_t bytes);

#endif
