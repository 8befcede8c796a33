# SPDX-License-Identifier: GPL-2.0
#
# Compile probes, included by ./Kbuild for the framework's probes and by a
# driver's Kbuild that has probes of its own (drivers/netbufwatch/Kbuild:
# kth-probe-dir := $(src)/probes, kth-probe-label := its module, then
# ccflags-y += $(ccflags-probes)).  Each NAME.c of kth-probe-dir
# (framework/probes/ unless set) compiles against this kernel's headers,
# with its own compiler and flags, exactly when the kernel has the feature
# NAME; the objects of the Kbuild that included this file then get
# -DKTH_HAVE_<NAME> (upper case) for each probe that compiled, and
# -DKTH_PROBED: ./Kbuild gives the framework's to every product object.
# A compat header turns the results into helpers:
# framework/include/kth_compat.h, drivers/netbufwatch/netbufwatch_compat.h.
# A version number cannot see what a distribution backported (Debian's
# 6.1 has 6.2's const kobj_type); the compiler can.  OpenZFS's
# configure and NVIDIA's conftest work the same way, but here the probes
# run at build time, so a DKMS build for any kernel probes that kernel.
#
# A probe must fail with an error, not a warning (they are compiled with
# -w): static_assert() on __same_type(), or a member that does not exist.
# baseline.c (framework/probes/, run with every probe directory) is no
# feature: when it does not compile, no result could be trusted, and the
# build stops with the compiler's messages.
#
# The probes run in parallel, -fsyntax-only, and only when their results
# may have changed: .kth-probes.cmd keeps the command, the results and the
# headers the probes read, and is a makefile that make remakes (then reads
# again) when a probe, one of those headers or the command changes, as
# Kbuild's own .*.cmd files work.
#
# What they found is in kth-probes.txt beside the Kbuild that included
# this file (each probe, yes or no, and for a no the compiler's first
# error), and on the console under V=1, where the probes run at every
# build.
#
# Only when ./Kbuild is read to build objects (scripts/Makefile.build), not
# by modpost or clean.  MAKEFILE_LIST names it $(srctree)/scripts/...: an
# absolute path for a headers package or an O= tree, but for a tree built
# in place ($(srctree) is .) plain scripts/Makefile.build, since make drops
# a leading ./ from a file name.

ifneq ($(filter %/scripts/Makefile.build scripts/Makefile.build,$(MAKEFILE_LIST)),)

kth-probe-mk := $(lastword $(MAKEFILE_LIST))
kth-probe-dir ?= $(src)/framework/probes
kth-probe-label ?= kthelper
kth-probe-srcs := $(dir $(kth-probe-mk))baseline.c \
	$(sort $(filter-out %/baseline.c,$(wildcard $(kth-probe-dir)/*.c)))
kth-probe-name = $(notdir $(basename $(1)))
kth-probe-names := $(call kth-probe-name,$(kth-probe-srcs))
kth-probe-cache := $(obj)/.kth-probes.cmd
kth-probe-new := $(obj)/.kth-probes.new.cmd
kth-probe-report := $(obj)/kth-probes.txt
kth-probe-verbose := $(findstring 1,$(KBUILD_VERBOSE))
# (5.10's auto.conf quotes its strings)
kth-probe-cc-text := $(subst ",,$(CONFIG_CC_VERSION_TEXT))

# This kernel's compiler and flags for a module object, less the warning
# options (W=1's among them): a plain build and a W=1 build share results.
kth-probe-cc := $(CC) $(NOSTDINC_FLAGS) $(LINUXINCLUDE) \
	-include $(srctree)/include/linux/compiler_types.h \
	$(filter-out -W% -DKBUILD_EXTRA_WARN%, \
		$(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) $(KBUILD_CFLAGS_MODULE)) \
	-w -DMODULE -DKBUILD_BASENAME='"kth_probe"' -DKBUILD_MODNAME='"kth_probe"' \
	-fsyntax-only
kth-probe-cmd := $(strip $(kth-probe-cc) $(kth-probe-names))

# kth-probes-cmd, kth-probes-found, kth-probes-deps: the last run's.
include $(kth-probe-cache)

ifneq ($(strip $(kth-probes-cmd)),$(kth-probe-cmd))
kth-probe-cache-force := FORCE
endif
# V=1: run them again to show them, once (make reads this file again
# after remaking the cache, with MAKE_RESTARTS set).
ifneq ($(kth-probe-verbose),)
ifeq ($(MAKE_RESTARTS),)
kth-probe-cache-force := FORCE
endif
endif

kth-pound := \#
kth-make-escape = $(subst $(kth-pound),$$(kth-pound),$(subst $$,$$$$,$(1)))

$(kth-probe-cache): $(kth-probe-srcs) $(kth-probe-mk) $(kth-probes-deps) \
		$(kth-probe-cache-force)
	$(file >$(kth-probe-new),kth-probes-cmd := $(call kth-make-escape,$(kth-probe-cmd)))
	$(Q)set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(foreach f,$(kth-probe-srcs),{ $(kth-probe-cc) -MD -MF $$tmp/$(call kth-probe-name,$(f)).d \
		$(f) >$$tmp/$(call kth-probe-name,$(f)).log 2>&1 && \
		echo $(call kth-probe-name,$(f)) >>$$tmp/found; } &) \
	wait; \
	if ! grep -qsx baseline $$tmp/found; then \
		echo "kthelper: the compile probes cannot build even an empty module for this kernel:" >&2; \
		cat $$tmp/baseline.log >&2; rm -f $(kth-probe-new); exit 1; \
	fi; \
	found=$$(echo $$(grep -vx baseline $$tmp/found | sort)); \
	echo "kth-probes-found := $$found" >>$(kth-probe-new); \
	echo "kth-probes-deps := $$(sed -e 's/^[^:]*://' -e 's/\\$$//' $$tmp/*.d | \
		tr ' ' '\n' | sort -u | tr '\n' ' ')" >>$(kth-probe-new); \
	{ echo "# $(kth-probe-label) compile probes for $(KERNELRELEASE), $(kth-probe-cc-text)"; \
	  $(foreach p,$(filter-out baseline,$(kth-probe-names)), \
	  if grep -qsx $(p) $$tmp/found; then echo "yes $(p)"; else \
		echo "no  $(p): $$(grep -m 1 'error' $$tmp/$(p).log | \
			sed 's|^$(kth-probe-dir)/||')"; fi;) \
	} >$(kth-probe-report); \
	mv -f $(kth-probe-new) $@; \
	$(if $(kth-probe-verbose),sed 's/^/  PROBES  /' $(kth-probe-report);) \
	$(if $(filter silent_,$(quiet)),:,echo "  PROBES  $(kth-probe-label): $$(echo $$found | wc -w) of \
		$(words $(filter-out baseline,$(kth-probe-names))): $${found:-none}")

# A header that is gone only means the probes run again.
ifneq ($(kth-probes-deps),)
$(kth-probes-deps):
endif

ccflags-probes := -DKTH_PROBED $(addprefix -DKTH_HAVE_, \
	$(shell echo $(kth-probes-found) | tr a-z A-Z))

endif
