# SPDX-License-Identifier: GPL-2.0
# gomem: the developer's verbs. Objects and flags live in Kbuild.
#
#   make                 build gomem.ko, the sample client and (on a KUnit kernel)
#                        the KUnit suites against KDIR
#   make install         install the modules into /lib/modules
#   make run             the main job: build gomem and the sample client for
#                        Debian's stock 6.1 kernel, boot it in QEMU, load both,
#                        print /proc/gomem, unload (about a minute, no kernel
#                        build); KERNEL=debug or KERNEL=bench: on a test kernel
#                        built from linux-source-6.12 (4-8 minutes the first time)
#   make check           every test: static checks, KUnit in QEMU, sample run,
#                        Debian 6.1 smoke test; ends with "N passed, N failed"
#   make check-kasan     the KUnit suites and a 60 s torture on a KASAN + kmemleak
#                        + lockdep kernel
#   make check-kcsan     a 60 s torture and the KUnit suites on a KCSAN kernel
#   make check-rt        the KUnit suites on a PREEMPT_RT + lockdep kernel, and
#                        gomem on Debian's 6.1 PREEMPT_RT kernel
#   make bench           gomem against SLUB (kmalloc, kmem_cache) in QEMU on the
#                        bench test kernel and Debian's 6.1: timings and memory
#                        held, a summary table, the targets met or missed
#   make torture         gomem under every CPU, interrupts, CPU hotplug and memory
#                        pressure in QEMU (TORTURE_S seconds, default 300), then
#                        racing bad frees against span reuse (RACE_S, default 60)
#   make bench-insns     instructions and locked instructions per operation,
#                        exact: icount VM with one vCPU and the project's QEMU
#                        plugin (bench/plugin/insns.c)
#   (make bench and make bench-insns pass gomem_bench's parameters given on
#   the command line, e.g. make bench-insns only=fast fast_max=64 repeats=1)
#   make dropin          real modules on gomem: ext2 and test_printf from
#                        linux-source-6.12 switched by gomem_kmalloc.h, run in
#                        QEMU (a file workload of DROPIN_FILES files, default
#                        5000; make check runs 1000)
#   make pprof-check     scripts/gomem-pprof against Go's own pprof (Debian's
#                        golang-go, installed if missing): a fixture profile
#                        converted and read with go tool pprof -top and -raw
#   make irqsoff         the longest interrupts-off section of a drain of full
#                        caches, in guest instructions (irqsoff tracer, icount VM;
#                        IRQSOFF_OBJECTS objects, default 20000)
#   make sizeclasses     regenerate gomem/sizeclasses.h
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
# make run's kernel: stock (Debian's 6.1), debug or bench (test kernels).
KERNEL ?= stock

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

run:
	bash scripts/run.sh $(KERNEL)

check:
	bash scripts/check.sh

check-kasan check-kcsan check-rt:
	bash scripts/variants.sh $(@:check-%=%)

# gomem_bench's module parameters set on make's command line, passed on.
BENCH_PARAMS := only budget_ms repeats batch_objects mixed_live tiny_objects mem_objects \
	churn_mb churn_live_mb rcu_objects churn_steady_ms fast_max parallel_size
BENCH_ARGS = $(foreach p,$(BENCH_PARAMS),$(if $(filter command line,$(origin $(p))),$(p)=$($(p))))

bench:
	bash scripts/bench.sh $(BENCH_ARGS)

bench-insns:
	bash scripts/bench-insns.sh $(BENCH_ARGS)

irqsoff:
	bash scripts/irqsoff.sh $(IRQSOFF_OBJECTS)

pprof-check:
	bash scripts/pprof-check.sh

torture:
	bash scripts/torture.sh $(TORTURE_S)
	bash scripts/torture.sh $(or $(RACE_S),60) debug race

dropin:
	bash scripts/dropin.sh $(or $(DROPIN_FILES),5000)

sizeclasses:
	python3 scripts/mksizeclasses.py

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf build

.PHONY: all modules install run check check-kasan check-kcsan check-rt torture bench bench-insns irqsoff pprof-check dropin \
	sizeclasses clean
