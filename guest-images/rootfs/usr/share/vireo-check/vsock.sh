# vsock: the guest end of tests/integration/test_vsock.c, whose host side
# owns the other ends (ports fixed there) and checks the sums printed here:
#  1. host -> guest: listen on port 5000, receive until the host closes;
#  2. guest -> host: send vireo.vsock.kib KiB (default 256) to CID 2:6000,
#     close;
#  3. 16 connections at once to CID 2:6001, 16 KiB each;
#  4. CID 2:6999, where nothing listens: the connect must be reset;
#  5. CID 2:6002, whose host agent never reads: we block until it closes.
# vireo.vsock.only=xfer stops after step 2 (tests/bench/vsock-bench).
vsock_sum() {	# VIREO_SUM = sha256 of file $1
	set -- $(sha256sum "$1")
	VIREO_SUM=$1
}

check_vsock() {
	local kib=256 only= w i pids= sums= bad=0 rc err t0
	for w in $CMDLINE; do
		case $w in
		vireo.vsock.kib=*) kib=${w#vireo.vsock.kib=} ;;
		vireo.vsock.only=*) only=${w#vireo.vsock.only=} ;;
		esac
	done
	vireo_ms; t0=$VIREO_MS
	if ! vsock-nc -l 5000 </dev/null >/tmp/h2g 2>/tmp/vsock.err; then
		echo "VIREO-CHECK vsock result=fail step=h2g $(cat /tmp/vsock.err)"
		return 1
	fi
	vireo_ms
	vsock_sum /tmp/h2g
	echo "VIREO-CHECK vsock h2g_bytes=$(wc -c </tmp/h2g) h2g_sha256=$VIREO_SUM h2g_ms=$((VIREO_MS - t0))"
	rm -f /tmp/h2g
	head -c $((kib * 1024)) /dev/urandom >/tmp/g2h
	vsock_sum /tmp/g2h
	vireo_ms; t0=$VIREO_MS
	if ! vsock-nc 2 6000 </tmp/g2h >/dev/null 2>/tmp/vsock.err; then
		echo "VIREO-CHECK vsock result=fail step=g2h $(cat /tmp/vsock.err)"
		return 1
	fi
	vireo_ms
	echo "VIREO-CHECK vsock g2h_sha256=$VIREO_SUM g2h_ms=$((VIREO_MS - t0))"
	rm -f /tmp/g2h
	if [ "$only" = xfer ]; then
		echo "VIREO-CHECK vsock result=pass"
		return 0
	fi
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		head -c 16384 /dev/urandom >/tmp/c$i
		vsock_sum /tmp/c$i
		sums=$sums${sums:+,}$VIREO_SUM
	done
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		vsock-nc 2 6001 </tmp/c$i >/dev/null 2>/tmp/c$i.err &
		pids="$pids $!"
	done
	for i in $pids; do
		wait "$i" || bad=$((bad + 1))
	done
	echo "VIREO-CHECK vsock multi_failed=$bad multi_sha256=$sums"
	rm -f /tmp/c*
	vsock-nc 2 6999 </dev/null >/dev/null 2>/tmp/vsock.err
	rc=$?
	err=$(tr ' ' _ </tmp/vsock.err)
	echo "VIREO-CHECK vsock nolistener_rc=$rc nolistener_err=$err"
	vireo_ms; t0=$VIREO_MS
	vsock-nc 2 6002 </dev/zero >/dev/null 2>/tmp/vsock.err
	rc=$?
	vireo_ms
	err=$(tr ' ' _ </tmp/vsock.err)
	echo "VIREO-CHECK vsock stall_rc=$rc stall_ms=$((VIREO_MS - t0)) stall_err=$err"
	[ "$bad" = 0 ] || {
		echo "VIREO-CHECK vsock result=fail step=multi failed=$bad"
		return 1
	}
	echo "VIREO-CHECK vsock result=pass"
}
