# The hostile test guest (tests/hostile): a freestanding x86-64 ELF with the
# 64-bit entry and the PVH note. `make build/hostile.elf`.
HOSTILE_SRCS := $(sort $(wildcard tests/hostile/*.c))
HOSTILE_ASM := $(sort $(wildcard tests/hostile/*.S))
HOSTILE_OBJS := $(patsubst %,$(BUILD)/hostile/%.o,$(HOSTILE_SRCS) $(HOSTILE_ASM))
HOSTILE_CFLAGS := -std=gnu11 $(WARN) -g -O2 -ffreestanding -fno-pie -fno-pic \
	-fno-stack-protector -fno-builtin -mno-red-zone -mno-sse -mno-sse2 -mno-mmx \
	-mno-avx -mgeneral-regs-only -mcmodel=small -fno-asynchronous-unwind-tables \
	-fcf-protection=none -MMD -MP

$(BUILD)/hostile/%.o: %
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(HOSTILE_CFLAGS) -c $< -o $@

$(BUILD)/hostile.elf: $(HOSTILE_OBJS) tests/hostile/hostile.ld
	$(CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
		-Wl,-z,max-page-size=4096 -T tests/hostile/hostile.ld -o $@ $(HOSTILE_OBJS)

.PHONY: hostile
hostile: $(BUILD)/hostile.elf

# Built by default and before the integration tests (test_hostile.c boots it).
all: $(BUILD)/hostile.elf
integration-test: $(BUILD)/hostile.elf
