// SPDX-License-Identifier: MIT
/* --fault TARGET:KIND[,k=v...] parsing (devices/virtio/fault_spec.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/virtio/fault_spec.h"

static struct fault_spec fs_ok(const char *s)
{
	struct fault_spec f;
	struct err e = { "" };

	cr_assert_eq(fault_spec_parse(s, &f, &e), 0, "'%s' rejected: %s", s,
		     e.msg);
	return f;
}

static void fs_bad(const char *s, const char *msg_part)
{
	struct fault_spec f;
	struct err e = { "" };

	cr_assert_eq(fault_spec_parse(s, &f, &e), -1, "'%s' accepted", s);
	cr_assert(strstr(e.msg, msg_part), "'%s': message '%s' lacks '%s'", s,
		  e.msg, msg_part);
	cr_assert(!strchr(e.msg, '\n'), "one line");
}

Test(fault_spec, blk_ioerr_with_every_key)
{
	struct fault_spec f = fs_ok(
	    "blk1:ioerr,op=read,sector=100-199,rate=0.25,count=3,after=2");

	cr_assert_str_eq(f.type, "blk");
	cr_assert_eq(f.instance, 1);
	cr_assert_eq(f.kind, FAULT_IOERR);
	cr_assert_eq(f.op, FAULT_OP_READ);
	cr_assert(f.has_sector);
	cr_assert_eq(f.sector_lo, 100);
	cr_assert_eq(f.sector_hi, 199);
	cr_assert_eq(f.rate_ppm, 250000);
	cr_assert_eq(f.count, 3);
	cr_assert_eq(f.after, 2);
}

Test(fault_spec, defaults)
{
	struct fault_spec f = fs_ok("blk:unsupp");

	cr_assert_eq(f.instance, -1);
	cr_assert_eq(f.op, FAULT_OP_ANY);
	cr_assert_eq(f.rate_ppm, FAULT_RATE_ONE);
	cr_assert_eq(f.count, 0);
	cr_assert(!f.has_sector);
	cr_assert_eq(fs_ok("net0:reorder").window, 4);
	cr_assert_eq(fs_ok("blk:used-len").extra, 4096);
	cr_assert_eq(fs_ok("rng:spurious-irq").hz, 10);
}

Test(fault_spec, rates)
{
	cr_assert_eq(fs_ok("blk:ioerr,rate=1").rate_ppm, FAULT_RATE_ONE);
	cr_assert_eq(fs_ok("blk:ioerr,rate=0").rate_ppm, 0);
	cr_assert_eq(fs_ok("blk:ioerr,rate=50%").rate_ppm, 500000);
	cr_assert_eq(fs_ok("blk:ioerr,rate=0.000001").rate_ppm, 1);
	fs_bad("blk:ioerr,rate=1.5", "rate");
	fs_bad("blk:ioerr,rate=0.0000001", "rate");
	fs_bad("blk:ioerr,rate=-1", "rate");
	fs_bad("blk:ioerr,rate=101%", "rate");
	fs_bad("blk:ioerr,rate=.5", "rate");
}

Test(fault_spec, every_kind_parses)
{
	cr_assert_eq(fs_ok("net:delay,ms=20,rate=0.1").ms, 20);
	cr_assert_eq(fs_ok("blk:drop-irq,rate=0.5").kind, FAULT_DROP_IRQ);
	cr_assert_eq(fs_ok("console:spurious-irq,hz=100").hz, 100);
	cr_assert_eq(fs_ok("blk:needs-reset,after=10").after, 10);
	cr_assert_eq(
	    fs_ok("blk:config-change,sectors=2048,after_ms=5000").after_ms,
	    5000);
	cr_assert_eq(fs_ok("net0:config-change,hz=2").hz, 2);
	cr_assert_eq(fs_ok("blk:config-change,rate=0.5").rate_ppm, 500000);
	cr_assert_eq(fs_ok("blk:used-id,count=1").kind, FAULT_USED_ID);
	cr_assert_eq(fs_ok("rng:short-read").kind, FAULT_SHORT_READ);
	cr_assert_eq(fs_ok("blk:reorder,window=8").window, 8);
}

Test(fault_spec, errors_name_the_problem)
{
	fs_bad("blk", "TARGET:KIND");
	fs_bad("disk:ioerr", "TARGET");
	fs_bad("blk:explode", "unknown fault kind 'explode'");
	fs_bad("net:ioerr", "does not apply to net");
	fs_bad("rng:config-change,sectors=1", "does not apply");
	fs_bad("net:config-change,sectors=5", "sectors= is for blk");
	fs_bad("blk:config-change", "needs");
	fs_bad("blk:delay", "ms=N");
	fs_bad("blk:ioerr,ms=5", "'ms=5' is not a key=value ioerr takes");
	fs_bad("blk:ioerr,op=read,op=write", "op given twice");
	fs_bad("blk:ioerr,op=scribble", "bad value 'scribble' for op");
	fs_bad("blk:ioerr,sector=9-3", "sector");
	fs_bad("blk:ioerr,sector=", "bad value for sector");
	fs_bad("blk:ioerr,sector", "is not a key=value");
	fs_bad("blk:ioerr,count=x", "count");
	fs_bad("blk:reorder,window=1", "window");
	fs_bad("blk:spurious-irq,hz=0", "hz");
	fs_bad("blk1000:ioerr", "TARGET");
	fs_bad("blk:ioerr,", "is not a key=value");
}

Test(fault_spec, matching)
{
	struct fault_spec any = fs_ok("blk:ioerr"), one = fs_ok("blk1:ioerr");

	cr_assert(fault_spec_matches(&any, "blk", 0));
	cr_assert(fault_spec_matches(&any, "blk", 3));
	cr_assert(!fault_spec_matches(&any, "net", 0));
	cr_assert(fault_spec_matches(&one, "blk", 1));
	cr_assert(!fault_spec_matches(&one, "blk", 0));
}
