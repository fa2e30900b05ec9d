/*
 * idcheck.h -- the national identity numbers' check characters.
 * Shared by form validation and the Lua standard library.
 */
#ifndef OT_IDCHECK_H
#define OT_IDCHECK_H

#include <stddef.h>

/* GB 11643-1999 resident ID: 17 digits, a check character (0-9 or X), and a
 * valid birth date in positions 7-14.  Returns 1 if valid. */
int id_number_valid(const char *s, size_t n);

/* GB 32100-2015 unified social credit code: 18 characters from
 * 0-9 A-H J-N P-R T U W-Y, the last a check character.  Returns 1 if valid. */
int credit_code_valid(const char *s, size_t n);

/* Masks an ID number for logs and messages: 2101**********123X (the
 * first 4 and last 4 characters kept).  out has room for n + 1 bytes. */
void id_mask(const char *s, size_t n, char *out);

/* Masks, in place, every valid ID number or credit code standing alone in
 * the text (an operator's message may quote what a hook printed). */
void ids_mask_in(char *text);

#endif
