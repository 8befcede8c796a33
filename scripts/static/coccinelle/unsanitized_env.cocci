// SPDX-License-Identifier: GPL-2.0
/// unsanitized_env: a string that may come from a device reaches a
/// notification environment without kthelper's sanitiser.
///
/// The helper runs as root with the environment the handler builds, and
/// udev rules match the uevent's variables: a USB serial number such as
/// "$(reboot)" or "x\nACTION=remove" must never reach them unchanged.
/// kth_env_add() is for trusted values, so every string it formats (%s)
/// must be one a reviewer can see is trusted:
///  - a string literal or an upper-case macro constant (KBUILD_MODNAME);
///  - kth_name() of a thread;
///  - an element of a table of string literals declared in the same file
///    as "const char * const NAME[] = { "udp", "tcp" }";
///  - a buffer that kth_sanitize() filled earlier in the same function.
/// Anything else (a struct field such as usb_device->serial, ->product,
/// ->manufacturer, a variable, an event payload's char array, dev_name())
/// goes through kth_env_add_untrusted(), which sanitises and bounds the
/// read; a value that is already clean passes it unchanged.  The format
/// itself must be a string literal.  Numbers (%u, %d, %x, %llu...) are
/// always fine.
//
// Options: --no-includes --include-headers

virtual report

@initialize:python@
@@

import re

# Conversion specifications of a printf format, in order.
conv_re = re.compile(r'%(?:%|[-+ #0]*(\*|\d+)?(?:\.(\*|\d*))?(?:hh|h|ll|l|L|q|j|z|Z|t)?([a-zA-Z]))')
sanitized = {}
# file -> names of its constant tables of string literals
literal_tables = {}

def split_args(text, sep=","):
	"""Split a C argument list at its top-level commas (or at sep)."""
	args, depth, cur, quote = [], 0, "", None
	i = 0
	while i < len(text):
		c = text[i]
		if quote:
			cur += c
			if c == "\\" and i + 1 < len(text):
				cur += text[i + 1]
				i += 1
			elif c == quote:
				quote = None
		elif c in "\"'":
			quote = c
			cur += c
		elif c in "([{":
			depth += 1
			cur += c
		elif c in ")]}":
			depth -= 1
			cur += c
		elif c in sep and depth == 0:
			args.append(cur.strip())
			cur = ""
		else:
			cur += c
		i += 1
	if cur.strip():
		args.append(cur.strip())
	return args

def string_args(fmt, args):
	"""The arguments that %s (or a string-producing %p) conversions take."""
	out, i = [], 0
	for m in conv_re.finditer(fmt):
		if m.group(0) == "%%":
			continue
		if m.group(1) == "*":
			i += 1
		if m.group(2) == "*":
			i += 1
		if i >= len(args):
			break
		conv = m.group(3)
		if conv == "s":
			out.append(args[i])
		i += 1
	return out

def trusted(arg, fn):
	arg = arg.strip()
	while arg.startswith("(") and arg.endswith(")"):
		arg = arg[1:-1].strip()
	# cond ? A : B is trusted when both A and B are
	choice = split_args(arg, "?:")
	if len(choice) == 3:
		return trusted(choice[1], fn) and trusted(choice[2], fn)
	if arg.startswith('"'):
		return True
	if re.fullmatch(r'[A-Z][A-Z0-9_]*', arg):
		return True
	if re.fullmatch(r'kth_name\s*\(.*\)', arg):
		return True
	m = re.fullmatch(r'(\w+)\s*\[.*\]', arg)
	if m and m.group(1) in literal_tables.get(fn[0], ()):
		return True
	return arg in sanitized.get(fn, set())

def pretty(expr):
	"""An expression as coccinelle prints it, with C's usual spacing."""
	s = re.sub(r"\s*(->|\.)\s*", r"\1", str(expr))
	s = re.sub(r"\s*([\[(])\s*", r"\1", s)
	s = re.sub(r"\s+([\])])", r"\1", s)
	return re.sub(r"([\[(,]\s*)([&*!~-])\s+", r"\1\2", s)

@clean exists@
expression dst;
position p;
@@

kth_sanitize@p(dst, ...)

@script:python@
dst << clean.dst;
p << clean.p;
@@

sanitized.setdefault((p[0].file, p[0].current_element), set()).add(str(dst).strip())

@table@
identifier tbl;
initializer list elems;
type T;
position p;
@@

T tbl@p[...] = { elems };

@script:python@
tbl << table.tbl;
elems << table.elems;
T << table.T;
p << table.p;
@@

def literal_element(e):
	e = re.sub(r'^\[[^]]*\]\s*=\s*', '', e.strip())
	return e.startswith('"') or e == "NULL"

if re.fullmatch(r'const\s+char\s*\*\s*const', str(T).strip()) and \
   all(literal_element(e) for e in split_args(str(elems))):
	literal_tables.setdefault(p[0].file, set()).add(tbl)

@literal@
expression env;
constant char[] fmt;
expression list args;
position p;
@@

kth_env_add@p(env, fmt, args)

@script:python depends on report@
fmt << literal.fmt;
args << literal.args;
p << literal.p;
@@

fn = (p[0].file, p[0].current_element)
for arg in string_args(str(fmt), split_args(str(args))):
	if not trusted(arg, fn):
		coccilib.report.print_report(p[0],
			"unsanitized_env: kth_env_add() formats '%s' with %%s: use kth_env_add_untrusted() (or kth_sanitize() into a buffer first) for any string not a literal" % pretty(arg))

@nonliteral@
expression env;
expression fmt;
position p != literal.p;
@@

kth_env_add@p(env, fmt, ...)

@script:python depends on report@
fmt << nonliteral.fmt;
p << nonliteral.p;
@@

coccilib.report.print_report(p[0],
	"unsanitized_env: kth_env_add() with format '%s', not a string literal: the format itself may carry device data" % pretty(fmt))
