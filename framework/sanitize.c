// SPDX-License-Identifier: GPL-2.0
/*
 * sanitize.c - make untrusted (device-supplied) strings safe for the
 * environment of a program that runs as root.
 */
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/export.h>
#include <kthelper.h>

/*
 * Kept as is: ASCII letters, digits and ". _ - , : + @".  Everything else
 * (spaces, quotes, backquotes, $, ;, &, |, <, >, (, ), *, ?, [, ], {, },
 * ~, #, !, =, %, \, /, control characters, bytes >= 0x80) becomes '_':
 * no shell, glob, path or environment meaning survives, and the length
 * of the string is kept so that its shape stays recognisable.
 */
static bool kth_safe_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) || strchr("._-,:+@", c));
}

/**
 * kth_sanitize() - copy an untrusted string, neutralising unsafe bytes
 * @dst: destination buffer, always NUL-terminated when @size > 0
 * @size: size of @dst; the copy is cut to @size - 1 bytes
 * @src: untrusted bytes, not necessarily NUL-terminated
 * @len: at most this many bytes of @src are read (a NUL ends it earlier)
 *
 * Context: Any context; never sleeps.
 * Return: the length of the string written to @dst.
 */
size_t kth_sanitize(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	if (!size)
		return 0;
	for (i = 0; i < len && i < size - 1 && src[i]; i++)
		dst[i] = kth_safe_char(src[i]) ? src[i] : '_';
	dst[i] = '\0';
	return i;
}
EXPORT_SYMBOL_NS_GPL(kth_sanitize, KTH_NS);
