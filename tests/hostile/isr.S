/* SPDX-License-Identifier: MIT */
/* One stub per vector: push a uniform frame (vector, error code) and dispatch. */
	.text
	.code64
	.altmacro
	.macro stub n
	.p2align 4
isr_\n:
	.if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21)
	.else
	pushq $0
	.endif
	pushq $\n
	jmp isr_common
	.endm

	.set n, 0
	.rept 256
	stub %n
	.set n, n + 1
	.endr

isr_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	leaq 80(%rsp), %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	pushq %rbx
	pushq %rbx
	call isr_dispatch
	popq %rbx
	movq %rbx, %rsp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

	.macro addr n
	.quad isr_\n
	.endm
	.section .rodata
	.p2align 3
	.globl isr_stubs
isr_stubs:
	.set n, 0
	.rept 256
	addr %n
	.set n, n + 1
	.endr
