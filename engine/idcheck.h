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

/* Masks, in place, every valid ID number or credit code in the text (an
 * operator's message may quote what a hook printed): any 18 characters
 * of a run of letters and digits that are one, so a number glued to
 * other letters or digits ("ID1101...002X5") is found too.  A credit code
 * inside a longer run must have its region code (characters 3-8) in
 * digits.  Masking keeps the length: cut the text after masking it, or a
 * number at the cut shows all but its last characters. */
void ids_mask_in(char *text);

#endif
