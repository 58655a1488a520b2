/* SPDX-License-Identifier: MIT */
/*
 * Both ways vireo (and QEMU's -kernel) enter an ELF: the 64-bit boot
 * protocol (long mode, zero page in RSI) and the PVH note (32-bit, paging
 * off, hvm_start_info in EBX). Either way we switch to our own GDT and page
 * tables at once, so nothing the VMM built is trusted afterwards.
 */
#define BOOT_64 1
#define BOOT_PVH 2

	.section .note.Xen, "a", @note
	.p2align 2
	.long 4			/* namesz: "Xen\0" */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_entry

	.section .text.entry, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	movl %ebx, %edi
	movl $BOOT_PVH, %esi
	movl $stack_top, %esp
	lgdt gdt_desc
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x100, %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG | PE */
	movl %eax, %cr0
	ljmp $0x08, $long_common

	.code64
	.globl entry64
entry64:
	cli
	movq %rsi, %rdi
	movl $BOOT_64, %esi
	movq $stack_top, %rsp
	lgdt gdt_desc
	movq $pml4, %rax
	movq %rax, %cr3
	pushq $0x08
	leaq long_common(%rip), %rax
	pushq %rax
	lretq

long_common:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $stack_top, %rsp
	/* hmain(boot_info_ptr, kind): rdi already holds the pointer. */
	movl %edi, %edi
	call hmain
1:	hlt
	jmp 1b

	.section .data
	.p2align 3
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00cf9a000000ffff	/* 0x18: 32-bit code */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	/*
	 * Identity map of the low 8 GiB in 2 MiB pages: RAM, the hole below
	 * 4 GiB and 64-bit BARs firmware (QEMU's) places just above it.
	 */
	.p2align 12
	.globl pml4
pml4:
	.quad pdpt + 0x3
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x3
	.quad pd + 0x1000 + 0x3
	.quad pd + 0x2000 + 0x3
	.quad pd + 0x3000 + 0x3
	.quad pd + 0x4000 + 0x3
	.quad pd + 0x5000 + 0x3
	.quad pd + 0x6000 + 0x3
	.quad pd + 0x7000 + 0x3
	.fill 504, 8, 0
pd:
	.set i, 0
	.rept 4096
	.quad (i << 21) + 0x83
	.set i, i + 1
	.endr

	.section .bss
	.p2align 12
	.skip 0x10000
	.globl stack_top
stack_top:

/*
 * Application processor start-up: copied to AP_TRAMPOLINE (below 1 MiB) and
 * entered in real mode by the SIPI. Straight to long mode on the shared GDT
 * and page tables, then ap_main on the AP's own stack.
 */
	.section .rodata
	.code16
	.globl ap_tramp, ap_tramp_end
ap_tramp:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (ap_gdtr - ap_tramp)
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_long
	.p2align 3
ap_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
ap_tramp_end:

	.text
	.code64
ap_long:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $ap_stack_top, %rsp
	call ap_main
2:	cli
	hlt
	jmp 2b

	.section .bss
	.p2align 12
	.skip 0x8000
	.globl ap_stack_top
ap_stack_top:
