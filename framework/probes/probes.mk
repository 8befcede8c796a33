# SPDX-License-Identifier: GPL-2.0
#
# Compile probes, included by ./Kbuild.  Each framework/probes/NAME.c
# compiles against this kernel's headers, with its own compiler and flags,
# exactly when the kernel has the feature NAME; every kthelper object then
# gets -DKTH_HAVE_<NAME> (upper case) for each probe that compiled, and
# -DKTH_PROBED.  framework/include/kth_compat.h turns the results into
# helpers.  A version number cannot see what a distribution backported
# (Debian's 6.1 has 6.2's const kobj_type); the compiler can.  OpenZFS's
# configure and NVIDIA's conftest work the same way, but here the probes
# run at build time, so a DKMS build for any kernel probes that kernel.
#
# A probe must fail with an error, not a warning: static_assert() on
# __builtin_types_compatible_p(), or a member that does not exist.
# baseline.c is no feature: when it does not compile, no result could be
# trusted, and the build stops with the compiler's message.
#
# The probes run in parallel, -fsyntax-only, once per build: only when
# ./Kbuild is read to build objects (scripts/Makefile.build), not when the
# kernel's modpost or clean steps read it.

ifneq ($(filter %/scripts/Makefile.build,$(MAKEFILE_LIST)),)

kth-probe-dir := $(src)/framework/probes
kth-probe-cc := $(CC) $(NOSTDINC_FLAGS) $(LINUXINCLUDE) \
	-include $(srctree)/include/linux/compiler_types.h \
	$(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) $(KBUILD_CFLAGS_MODULE) -DMODULE \
	-DKBUILD_BASENAME='"kth_probe"' -DKBUILD_MODNAME='"kth_probe"' \
	-fsyntax-only
kth-probe-features := $(filter-out baseline, \
	$(basename $(notdir $(wildcard $(kth-probe-dir)/*.c))))

# The probes that compiled, each by a compiler in the background.
kth-probes-found := $(shell $(foreach p,baseline $(kth-probe-features), \
	{ $(kth-probe-cc) $(kth-probe-dir)/$(p).c >/dev/null 2>&1 && \
	  echo $(p); } &) wait)

ifeq ($(filter baseline,$(kth-probes-found)),)
$(error kthelper: the compile probes cannot build even an empty module \
	for this kernel: $(shell $(kth-probe-cc) $(kth-probe-dir)/baseline.c 2>&1 | head -n 5))
endif

kth-probes-found := $(sort $(filter-out baseline,$(kth-probes-found)))
ccflags-probes := -DKTH_PROBED $(addprefix -DKTH_HAVE_, \
	$(shell echo $(kth-probes-found) | tr a-z A-Z))

ifneq ($(quiet),silent_)
$(info $(space) PROBES  kthelper: $(words $(kth-probes-found)) of \
	$(words $(kth-probe-features)): $(or $(kth-probes-found),none))
endif

endif
