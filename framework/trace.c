// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - creates the kthelper tracepoints declared in kth_trace.h
 * (found through -I$(src): see Kbuild).
 */
#define CREATE_TRACE_POINTS
#include "kth_trace.h"
