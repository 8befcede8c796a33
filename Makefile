# SPDX-License-Identifier: GPL-2.0
#
# kthelper: the one entry point.  The kernel's build system does the real
# work (it reads ./Kbuild); this file only picks the kernel and delegates.
#
#   make [KERNELRELEASE=6.1.0-56-amd64 | KVER=... | KDIR=/path/to/build]
#                     the product: the framework and the sample drivers
#   make tests        that, then the test modules (tests/Kbuild) and the
#                     template against it
#   make check        all tests (boots real kernels in QEMU)
#   make check-static [M=DIR]   the static analysis gate (scripts/kth-check)
#   make check-matrix every scenario on bullseye 5.10 .. sid, generic and -rt
#   make check-debug [KERNELS=debug,kcsan,rt] [PART=fault|stress|helpers|rest]
#                     the VM suite on a debug kernel
#                     (lockdep, KASAN, kmemleak, UBSAN, fault injection) and
#                     on a KCSAN one, each built once, then on -rt
#   make check-trees  builds against kernel trees built in place, with O=
#                     and with clang, each built once; the clang one booted
#   make demo         boot a kernel with kthelper and show it at work
#   make check-packages  the prebuilt module packages of bookworm's 6.1 and
#                     sid's newest installed in fresh roots without a
#                     compiler, booted, refused next to kthelper-dkms, removed
#   make check-fresh [FULL=1] [SUDO=1]   setup, demo and the static stage
#                     (FULL=1: make check) in a minimal Debian 12 root, as
#                     root (SUDO=1: as a user who may use sudo)
#   make check-bench  the benchmark's boots judged: instruction counts that
#                     repeat and meet their targets, the 2-CPU post scaling
#   make new-driver NAME=mydrv [DIR=path]   start a driver from the template
#   make dkms-install [KERNELRELEASE=...]   install with DKMS for that kernel
#   make dkms-remove [KERNELRELEASE=...]    and remove it again
#   make deb          build/deb/kthelper-dkms_<version>_all.deb and
#                     kthelper-tools_<version>_all.deb
#   make deb-modules KVER=... [SIGN_KEY=key.pem SIGN_CERT=cert.pem]
#                     build/deb/kthelper-modules-<ABI>_<version>_amd64.deb:
#                     the modules prebuilt (and signed) for that kernel ABI
#   make deb-modules-all [SIGN_KEY=... SIGN_CERT=...]   one for every
#                     supported kernel, and a table of them
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSTEMDUNITDIR=]   kthctl
#                     to PREFIX/sbin, the metrics timer to PREFIX/lib/systemd/system,
#                     the journal's helper, udev rules and unit (install-journal)
#   make uninstall    and remove them again
# A KERNELRELEASE whose headers are not installed here (any Debian kernel of
# bullseye, bookworm, trixie or sid: 7.2.13+deb14-amd64, say) builds and
# DKMS-installs in a root of its Debian suite, made once (scripts/kth-kernel).

# Newest installed Debian kernel headers (the build machine's own running
# kernel usually has none).  KVER= is a shorter name for KERNELRELEASE=.
ifdef KVER
KERNELRELEASE := $(KVER)
endif
KERNELRELEASE ?= $(shell ls -d /lib/modules/*-amd64/build 2>/dev/null | \
		   grep -v -e -rt- -e -cloud- | \
		   sed 's|/lib/modules/||; s|/build||' | sort -V | tail -n 1)
# A kernel whose headers this machine lacks (another Debian release, say)
# is built in a root of its own Debian suite, made once and cached
# (scripts/kth-kernel), where its headers are at the same path.
ifneq ($(KERNELRELEASE),)
ifeq ($(origin KDIR)$(wildcard /lib/modules/$(KERNELRELEASE)/build),undefined)
KTH_IN_ROOT := scripts/kth-kernel exec $(KERNELRELEASE) --
endif
endif
KDIR ?= /lib/modules/$(KERNELRELEASE)/build

# The kernel's own compiler (scripts/kth-kernel-cc reads it from KDIR's
# configuration): LLVM=1 for a kernel built with clang, CC=gcc-N for one
# built with a gcc other than this machine's `gcc`.  Where it is missing,
# the script says what to install and the build stops.  A root has its
# kernel's compiler; an LLVM= or CC= on the command line is kept.
ifeq ($(KTH_IN_ROOT)$(filter command line,$(origin LLVM) $(origin CC)),)
kth-kernel-cc = $(eval kth-kernel-cc := $(shell scripts/kth-kernel-cc $(KDIR) || \
	echo kth-kernel-cc-failed))$(kth-kernel-cc)
endif
kth-check-kdir = $(if $(KTH_IN_ROOT),, \
	$(if $(wildcard $(KDIR)/Makefile),, \
		$(error kthelper: no kernel headers at $(KDIR); run scripts/kth-setup or set KDIR=)) \
	$(if $(filter kth-kernel-cc-failed,$(kth-kernel-cc)), \
		$(error kthelper: no compiler for the kernel in $(KDIR): see the line above)))

.PHONY: all modules tests clean check check-ready check-static check-static-ready
.PHONY: demo demo-ready setup new-driver

all: modules

modules:
	$(kth-check-kdir)
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR) $(kth-kernel-cc) modules

# The test modules (tests/Kbuild: kth_selftest, kth_stress, kth_bench,
# kth_failarm) and the template, each built as a driver out of the tree is:
# against the framework's headers and the Module.symvers just written.
# ./Kbuild lists the product only: DKMS ships it as it is.
kth-test-args = $(kth-kernel-cc) KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers \
	KTH_INCLUDE=$(CURDIR)/framework/include

# modpost runs again for a module tree when its own objects change, not
# when only the framework's symbol versions did: a tree whose symvers is
# older than the framework's loses it, so that it runs (else insmod finds
# "disagrees about version of symbol").
tests: modules
	for d in tests templates/kth_template; do \
		[ ! $$d/Module.symvers -ot Module.symvers ] || rm -f $$d/Module.symvers; \
	done
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR)/tests $(kth-test-args) modules
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR)/templates/kth_template $(kth-test-args) modules

kth-clean-args = $(filter-out kth-kernel-cc-failed,$(kth-kernel-cc)) clean

clean:
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR)/templates/kth_template $(kth-clean-args)
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR)/tests $(kth-clean-args)
	$(KTH_IN_ROOT) $(MAKE) -C $(KDIR) M=$(CURDIR) $(kth-clean-args)
	rm -rf build

setup:
	scripts/kth-setup

# check, demo and check-static need the headers that setup may only now
# have installed: they go on in a new make, which looks for them again.
check: setup
	$(MAKE) --no-print-directory check-ready

# The fast tier (Documentation/testing.rst, tests/tiers/kth-check-fast):
# every module with W=1, the static stage (with the W=1 build against
# every kernel of the matrix), every scenario on KERNELRELEASE, the
# PREEMPT_RT-sensitive ones on its -rt flavour and, for a plain `make
# check`, the newest sid kernel's; the stress ones at KTH_STRESS percent.
# The last line is the sum of every run's summary.
KTH_STRESS ?= 100

check-ready:
	tests/tiers/kth-check-fast --kver $(KERNELRELEASE) --stress $(KTH_STRESS) \
		$(if $(filter command line environment,$(origin KVER) $(origin KERNELRELEASE)),,--default)

# Documentation/results.rst from the last make check's build/check
# (tests/tiers/kth-results; FROM=DIR for another tree's, a fresh clone's).
.PHONY: results
results:
	tests/tiers/kth-results $(if $(FROM),--from $(FROM))

# Every scenario on every supported kernel, generic and -rt, each built in
# a root of its Debian suite (tests/tiers/kth-check-matrix).
.PHONY: check-matrix
check-matrix: setup
	tests/tiers/kth-check-matrix

# The debug tier (Documentation/testing.rst): the debug and the KCSAN
# kernels built once from Debian's linux-source (cached in
# ~/.cache/kthelper/debug-kernel*), every module against each, the VM
# suite on each, then on -rt (tests/tiers/kth-check-debug); KERNELS=debug,
# kcsan or rt (or a comma list) runs those kernels alone, PART=fault,
# stress, helpers or rest one named part of the suite on them.
.PHONY: check-debug
check-debug:
	scripts/kth-setup --kernel-build
	tests/tiers/kth-check-debug $(if $(KERNELS),--kernels "$(KERNELS)") \
		$(if $(PART),--part "$(PART)")

# kthelper against the kernel trees a kernel developer builds: Debian's
# linux-source built in place, with O=, and with clang (LLVM=1), each
# built once and cached (~/.cache/kthelper/trees); make check runs the
# module builds on those already built and boots the clang one
# (tests/tiers/kth-check-trees, Documentation/testing.rst "Kernel trees").
.PHONY: check-trees
check-trees:
	scripts/kth-setup --kernel-build
	tests/tiers/kth-check-trees

# The prebuilt module packages as a machine without a compiler gets them
# (tests/tiers/kth-check-packages, Documentation/testing.rst "Prebuilt
# module packages"); KERNELS="bookworm sid" by default.
.PHONY: check-packages
check-packages: setup
	tests/tiers/kth-check-packages $(if $(KERNELS),--kernels "$(KERNELS)")

# The benchmark judged over several boots (tests/tiers/kth-check-bench,
# Documentation/testing.rst "Judging the figures"): BOOTS icount boots of
# bench (3), SMP_BOOTS bench-smp boots (5).
.PHONY: check-bench
check-bench: setup tests
	tests/tiers/kth-check-bench $(if $(BOOTS),--boots $(BOOTS)) \
		$(if $(SMP_BOOTS),--smp-boots $(SMP_BOOTS))

# Setup from nothing (tests/tiers/kth-check-fresh): the committed HEAD,
# cloned into a minimal Debian 12 root made with mmdebstrap (cached in
# ~/.cache/kthelper/fresh), runs setup, demo and the static stage there;
# FULL=1 runs the whole make check instead of the static stage; SUDO=1
# runs them as a user who may use sudo.  Needs root itself.
.PHONY: check-fresh
check-fresh:
	tests/tiers/kth-check-fresh $(if $(FULL),--full) $(if $(SUDO),--sudo)

# sparse, W=1, checkpatch, coccinelle, kernel-doc: on M=DIR, or on the whole
# project and then kthelper's coccinelle rules against their examples.
check-static: setup
	$(MAKE) --no-print-directory check-static-ready

check-static-ready:
	scripts/kth-check --kdir $(KDIR) $(M)
	$(if $(M),,scripts/kth-check --selftest)

demo: setup
	$(MAKE) --no-print-directory demo-ready

demo-ready:
	$(MAKE) tests
	tests/run --kver $(KERNELRELEASE) --demo

new-driver:
	scripts/kth-new-driver "$(NAME)" $(if $(DIR),"$(DIR)")

# DKMS and the Debian package (scripts/kth-dkms, Documentation/packaging.rst).
.PHONY: dkms-install dkms-remove deb

dkms-install:
	$(KTH_IN_ROOT) scripts/kth-dkms install $(KERNELRELEASE)

dkms-remove:
	$(KTH_IN_ROOT) scripts/kth-dkms remove $(KERNELRELEASE)

deb:
	scripts/kth-dkms deb

# Prebuilt module packages (scripts/kth-deb-modules, Documentation/
# packaging.rst "Prebuilt module packages"): for KVER (an ABI or an alias:
# bookworm, sid-rt), built where make KVER= builds, signed with SIGN_KEY
# and SIGN_CERT when given.
.PHONY: deb-modules deb-modules-all
deb-modules:
	$(if $(filter command line environment,$(origin KVER) $(origin KERNELRELEASE)),, \
		$(error make deb-modules needs KVER=<kernel ABI or alias>, e.g. KVER=6.1.0-57-amd64 or KVER=sid))
	scripts/kth-deb-modules $(if $(SIGN_KEY),--sign-key $(SIGN_KEY)) \
		$(if $(SIGN_CERT),--sign-cert $(SIGN_CERT)) $(KERNELRELEASE)

deb-modules-all:
	scripts/kth-deb-modules --all $(if $(SIGN_KEY),--sign-key $(SIGN_KEY)) \
		$(if $(SIGN_CERT),--sign-cert $(SIGN_CERT))

# kthctl, the user tool (tools/kthctl, Documentation/observability.rst),
# with its metrics files in PREFIX/share/kthctl, and the metrics timer for
# node_exporter (scripts/packaging/systemd; off until enabled) in
# SYSTEMDUNITDIR, its ExecStart pointed at PREFIX/sbin/kthctl; the
# modules are installed by DKMS (make dkms-install, make deb).
PREFIX ?= /usr/local
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
KTHCTL_FILES := trace.sh metrics.sh metrics.awk
METRICS_UNITS := kthelper-metrics.service kthelper-metrics.timer
.PHONY: install uninstall

install:
	install -D -m 0755 tools/kthctl/kthctl $(DESTDIR)$(PREFIX)/sbin/kthctl
	install -d $(DESTDIR)$(PREFIX)/share/kthctl $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 $(addprefix tools/kthctl/,$(KTHCTL_FILES)) $(DESTDIR)$(PREFIX)/share/kthctl/
	for u in $(METRICS_UNITS); do \
		sed 's|/usr/sbin/kthctl|$(PREFIX)/sbin/kthctl|' scripts/packaging/systemd/$$u \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/kthctl
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/kthctl/,$(KTHCTL_FILES))
	rmdir $(DESTDIR)$(PREFIX)/share/kthctl 2>/dev/null || true
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(METRICS_UNITS))

# The journal's files (scripts/packaging/journal; Documentation/
# observability.rst, "The journal"), off until enabled: kth-journal in
# PREFIX/libexec/kthelper, its udev rules in PREFIX/share/kthelper/udev
# (an operator links one into /etc/udev/rules.d), kthelper-event@.service
# in SYSTEMDUNITDIR; their paths pointed at PREFIX.  install and uninstall
# do these too; kth-dkms deb and the test guest install them alone.
JOURNAL_FILES := 90-kthelper-journal.rules 90-kthelper-event.rules kthelper-event@.service
.PHONY: install-journal uninstall-journal
install: install-journal
uninstall: uninstall-journal

install-journal:
	install -D -m 0755 scripts/packaging/journal/kth-journal \
		$(DESTDIR)$(PREFIX)/libexec/kthelper/kth-journal
	install -d $(DESTDIR)$(PREFIX)/share/kthelper/udev $(DESTDIR)$(SYSTEMDUNITDIR)
	for f in $(JOURNAL_FILES); do \
		case $$f in \
		*.rules) d=$(DESTDIR)$(PREFIX)/share/kthelper/udev ;; \
		*) d=$(DESTDIR)$(SYSTEMDUNITDIR) ;; \
		esac; \
		sed -e 's|/usr/libexec/kthelper/|$(PREFIX)/libexec/kthelper/|g' \
			-e 's|/usr/share/kthelper/|$(PREFIX)/share/kthelper/|g' \
			scripts/packaging/journal/$$f >$$d/$$f && \
		chmod 0644 $$d/$$f || exit 1; \
	done

uninstall-journal:
	rm -f $(DESTDIR)$(PREFIX)/libexec/kthelper/kth-journal
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/kthelper/udev/,$(filter %.rules,$(JOURNAL_FILES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(filter %.service,$(JOURNAL_FILES)))
	rmdir $(DESTDIR)$(PREFIX)/libexec/kthelper $(DESTDIR)$(PREFIX)/share/kthelper/udev \
		$(DESTDIR)$(PREFIX)/share/kthelper 2>/dev/null || true
