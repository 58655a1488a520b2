# vireo: top-level build. `make run` boots the bundled guest; `make test`
# runs every test (unit + integration, plain and ASan/UBSan builds).

CC ?= gcc
BUILD := build
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -g -I. -D_GNU_SOURCE -DVIREO_VERSION='"$(VERSION)"' -MMD -MP -pthread
OPT_CFLAGS := -O2
SAN_CFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS := -pthread -lz -llzma -luring -lfdt -ljansson

# Everything but main() goes into a library that the unit tests link too.
LIB_SRCS := $(sort $(wildcard util/*.c kvm/*.c bus/*.c bus/pci/*.c bus/mmio/*.c \
	devices/legacy/*.c devices/block/*.c devices/virtio/*.c vmm/*.c vmm/boot/*.c vmm/acpi/*.c vmm/fdt/*.c vmm/api/*.c vmm/sandbox/*.c)) \
	cli/args.c cli/trace_summary.c cli/config_file.c cli/ctl.c
# The seccomp filters are compiled at build time (vmm/sandbox/seccomp_bpf.h):
# the rules and their generator link libseccomp, vireo only the BPF.
SECCOMP_RULES_SRCS := vmm/sandbox/seccomp_rules.c vmm/sandbox/seccomp_class.c
SECCOMP_GEN_SRCS := vmm/sandbox/seccomp_gen.c
SECCOMP_BPF_SRC := $(BUILD)/gen/seccomp_filters.c
LIB_SRCS := $(filter-out vmm/sandbox/seccomp_rules.c $(SECCOMP_GEN_SRCS),$(LIB_SRCS)) \
	$(SECCOMP_BPF_SRC)
MAIN_SRCS := cli/main.c
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
INTEG_SRCS := $(sort $(wildcard tests/integration/*.c))

objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

PLAIN := $(BUILD)
ASAN := $(BUILD)/asan

.PHONY: all deps guest run test test-plan unit-test integration-test bench clean format check-format
all: $(PLAIN)/vireo

$(PLAIN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(CFLAGS) -c $< -o $@

$(ASAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -c $< -o $@

# Static: a dynamically linked vireo keeps ~0.8 MiB more resident (ld.so,
# whole pages of libc and of libraries used only at start) and spends
# ~1 ms of its start relocating them. The sanitizer builds stay dynamic.
$(PLAIN)/vireo: $(call objs,$(PLAIN),$(LIB_SRCS) $(MAIN_SRCS))
	$(CC) $(OPT_CFLAGS) -static -o $@ $^ $(LDLIBS)

$(ASAN)/vireo: $(call objs,$(ASAN),$(LIB_SRCS) $(MAIN_SRCS))
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# The unit tests compare the generated filters with libseccomp's own.
$(PLAIN)/unit-tests: $(call objs,$(PLAIN),$(LIB_SRCS) $(UNIT_SRCS) vmm/sandbox/seccomp_rules.c)
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(LDLIBS) -lseccomp -lcriterion

$(ASAN)/unit-tests: $(call objs,$(ASAN),$(LIB_SRCS) $(UNIT_SRCS) vmm/sandbox/seccomp_rules.c)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS) -lseccomp -lcriterion

# Built and run on the build machine, without sanitizers; it writes both
# variants (plain and __SANITIZE_ADDRESS__), each build compiles its own.
$(PLAIN)/seccomp-gen: $(call objs,$(PLAIN),$(SECCOMP_GEN_SRCS) $(SECCOMP_RULES_SRCS))
	$(CC) $(OPT_CFLAGS) -o $@ $^ -lseccomp

$(SECCOMP_BPF_SRC): $(PLAIN)/seccomp-gen
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$< > $@.tmp && mv $@.tmp $@

# The device benchmark (tests/bench/devbench*.c): vireo's devices, no guest.
$(PLAIN)/devbench: $(call objs,$(PLAIN),$(LIB_SRCS) $(wildcard tests/bench/devbench*.c))
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(LDLIBS)

# The load step of the start (tests/bench/loadbench.c): no KVM needed.
$(PLAIN)/loadbench: $(call objs,$(PLAIN),$(LIB_SRCS) tests/bench/loadbench.c)
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(LDLIBS)

$(PLAIN)/density_probe.so: tests/bench/density_probe.c
	$(CC) $(OPT_CFLAGS) -shared -fPIC -o $@ $< -ldl

$(PLAIN)/integration-tests: $(call objs,$(PLAIN),$(INTEG_SRCS) util/err.c)
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

include tests/hostile/hostile.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- packages -------------------------------------------------------------
# Debian packages vireo builds and tests with; guest-images lists its own.
PACKAGES := build-essential linux-libc-dev libcriterion-dev python3 acpica-tools \
	zlib1g-dev liblzma-dev liburing-dev libfdt-dev libjansson-dev libseccomp-dev clang libclang-rt-14-dev clang-format \
	gnuplot-nox fio \
	$(shell cat guest-images/packages.txt 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@missing=""; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# --- guest ------------------------------------------------------------------
guest:
	guest-images/build

# Guests need a usable /dev/kvm; tests/with-kvm runs them inside the QEMU
# TCG test host (tests/testhost/run, nested kvm_amd) where there is none.
run: deps all guest
	@exec tests/with-kvm tests/run-guest

# --- tests ------------------------------------------------------------------
# The jail test forks into a new PID namespace; when it runs beside another
# test, Criterion's runner process (not a test, not vireo code) leaks 48
# bytes that LeakSanitizer reports at exit. Alone it is clean, so the ASan
# run gives it a run of its own. The same runner leak came once without
# it (CI12): tests/unit/asan-run passes a run whose only leak is that one
# (every frame inside libcriterion) and fails on any other.
JAIL_FORK_TEST := jail/fork_forwards_signals_and_passes_the_status
unit-test: $(PLAIN)/unit-tests $(ASAN)/unit-tests
	$(PLAIN)/unit-tests
	tests/unit/asan-run $(ASAN)/unit-tests --filter '!($(JAIL_FORK_TEST))'
	tests/unit/asan-run $(ASAN)/unit-tests -j1 --filter '$(JAIL_FORK_TEST)'

# Group by group (each Criterion suite, boot again with the ASan build),
# each where it runs fastest: on PVM hosts in the test host plus a
# PVM-direct subset (tests/testhost/integration says where and why, and
# ends with a timing table). VIREO_GROUPS="boot cli" runs only those.
integration-test: $(PLAIN)/vireo $(ASAN)/vireo $(PLAIN)/integration-tests
	tests/testhost/integration $(PLAIN)/vireo $(ASAN)/vireo $(PLAIN)/integration-tests

# First, before anything is built: where the integration tests will run.
test-plan:
	@tests/testhost/integration --plan

# Compiling runs on every core; the tests after it one step at a time (the
# integration tests' guests and the unit tests' device threads would
# otherwise compete for the same cores and time out).
NPROC := $(shell nproc 2>/dev/null || echo 1)
test: test-plan deps
	$(MAKE) -j$(NPROC) all $(PLAIN)/unit-tests $(ASAN)/unit-tests $(ASAN)/vireo \
		$(PLAIN)/integration-tests
	$(MAKE) guest
	$(MAKE) unit-test
	$(MAKE) integration-test

# Each table says where it was measured (tests/testhost/where): PVM
# direct, test host or hardware KVM; its ratios compare runs made there.
# Then the VMM's own cost (issue 19): the kernel+initrd load (measured here,
# no KVM needed), exec to first KVM_RUN, memory beyond
# guest RAM, 50 VMs at once, virtio-blk without a guest against fio on the
# same file; tables on stdout, rows in $(BENCH_OUT)/results.txt and a PNG
# plot in $(BENCH_OUT)/vmm.png. BEFORE=/path/to/an/older/vireo adds its
# start, memory and density rows for comparison.
# The network benchmark also runs with 4 streams, and where the first pass
# ran directly on kvm_pvm (guest-bound there) once more in the test host.
BENCH_OUT := $(BUILD)/bench
NET_BENCH := tests/bench/net-bench --repeat 3 && tests/bench/net-bench --streams 4
bench: deps all guest vmm-bench-tools
	VIREO_TESTHOST_TIMEOUT=20000 tests/with-kvm sh -c \
		'tests/bench/boot-bench && tests/bench/boot-bench --transports && tests/bench/blk-bench && $(NET_BENCH)'
	if [ -e /sys/module/kvm_pvm ] && [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "$${VIREO_TESTHOST:-auto}" = auto ]; then \
		VIREO_TESTHOST=always VIREO_TESTHOST_TIMEOUT=20000 tests/with-kvm sh -c '$(NET_BENCH)'; fi
	$(MAKE) vmm-bench

.PHONY: vmm-bench vmm-bench-tools
vmm-bench-tools: $(PLAIN)/vireo $(PLAIN)/devbench $(PLAIN)/loadbench $(PLAIN)/density_probe.so $(PLAIN)/hostile.elf

vmm-bench: vmm-bench-tools
	@mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/results.txt
	for map in --copy-images ""; do $(PLAIN)/loadbench guest-images/out/micro/vmlinux \
		guest-images/out/initramfs.cpio --runs 40 $$map | tee -a $(BENCH_OUT)/results.txt; done
	VIREO_TESTHOST_TIMEOUT=20000 BENCH_RESULTS=$(abspath $(BENCH_OUT))/results.txt BEFORE='$(BEFORE)' \
		tests/with-kvm sh -c 'tests/bench/density-all'
	@cat $(BENCH_OUT)/results.txt
	tests/bench/plot $(BENCH_OUT)/results.txt $(BENCH_OUT)/vmm.png

# --- fuzzing ----------------------------------------------------------------
# One libFuzzer target per guest- or user-facing parser: tests/fuzz/fuzz_NAME.c
# links the library built with the fuzzer's flags; its seeds live in
# tests/fuzz/seeds/NAME/. `make fuzz` runs every target FUZZ_SECONDS each
# (`make fuzz FUZZ_SECONDS=600`), `make fuzz-NAME` one of them.
FUZZ_SECONDS ?= 30
FUZZ := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 $(WARN) -g -O1 -I. -D_GNU_SOURCE -MMD -MP -pthread \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined -pthread
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(call objs,$(FUZZ),$(LIB_SRCS))
	clang $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

# Objects are kept between runs (they are intermediates of a pattern rule).
.SECONDARY:

.PHONY: fuzz fuzz-build $(addprefix fuzz-,$(FUZZ_TARGETS))
fuzz-build: $(addprefix $(FUZZ)/fuzz_,$(FUZZ_TARGETS))

$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(FUZZ)/fuzz_%
	@mkdir -p $(FUZZ)/corpus/$* tests/fuzz/seeds/$*
	$(FUZZ)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-close_fd_mask=3 $(FUZZ)/corpus/$* tests/fuzz/seeds/$*

# Built and run on every core (each target is one process); each target's
# output is printed whole when it ends.
fuzz:
	$(MAKE) -j$(NPROC) fuzz-build
	$(MAKE) -j$(NPROC) --output-sync=target --no-print-directory \
		$(addprefix fuzz-,$(FUZZ_TARGETS))

# --- ThreadSanitizer ----------------------------------------------------------
# The unit tests that run device threads, under TSan. Criterion 2.4 cannot
# start under TSan (Snaipe/Criterion#274), so these tests are built against
# a small Criterion-compatible shim (tests/tsan/criterion/criterion.h, put
# first on the include path) and its runner, without -lcriterion.
TSAN := $(BUILD)/tsan
TSAN_CFLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_UNIT_SRCS := $(addprefix tests/unit/,test_virtio_devices.c test_virtio_net.c \
	test_stdio_console.c test_aio.c test_virtio_transport.c test_virtio_pci.c \
	test_vsock.c test_api_server.c)
TSAN_SHIM_SRCS := tests/tsan/criterion_shim.c
TSAN_UNIT_SRCS += tests/unit/test_virtq_device.c
# The fault gate runs live device threads too (test_trace.c: its trace reader).
TSAN_UNIT_SRCS += tests/unit/test_fault_gate.c tests/unit/test_trace.c

$(TSAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(TSAN_CFLAGS) $(CFLAGS) -c $< -o $@

# Tests built against the shim live apart from anything built against the
# real Criterion headers, so no stale object links against the wrong one.
$(TSAN)/shim/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -Itests/tsan $(BASE_CFLAGS) $(TSAN_CFLAGS) $(CFLAGS) -c $< -o $@

$(TSAN)/unit-tests: $(call objs,$(TSAN),$(LIB_SRCS)) \
		$(patsubst %.c,$(TSAN)/shim/%.o,$(TSAN_UNIT_SRCS) $(TSAN_SHIM_SRCS))
	$(CC) $(TSAN_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: tsan
tsan: $(TSAN)/unit-tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $(TSAN)/unit-tests \
		--filter '$(TSAN_FILTER)'
TSAN_FILTER ?= *

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
