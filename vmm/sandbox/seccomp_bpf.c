// SPDX-License-Identifier: MIT
#include "vmm/sandbox/seccomp_bpf.h"

#include <linux/seccomp.h>
#include <string.h>

size_t seccomp_bpf_program(enum vm_seccomp mode, enum sandbox_class cls,
			   uint32_t pid, struct sock_filter *out)
{
	const struct seccomp_bpf *p;
	size_t i;

	if ((unsigned int)cls >= SANDBOX_NR_CLASSES)
		return 0;
	p = &seccomp_bpf_programs[cls];
	memcpy(out, p->insns, p->len * sizeof(*out));
	for (i = 0; i < p->len; i++) {
		struct sock_filter *in = &out[i];

		if (in->code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    in->k == SECCOMP_PID_SENTINEL)
			in->k = pid;
		else if (mode == VM_SECCOMP_LOG &&
			 in->code == (BPF_RET | BPF_K) &&
			 in->k == SECCOMP_RET_TRAP)
			in->k = SECCOMP_RET_LOG;
	}
	return p->len;
}
