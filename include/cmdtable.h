/* cmdtable: shorthand for writing command tables (command.c and the type
 * modules' own tables, registered with cmd_register_table). Include it only
 * in .c files that define tables: the one-letter names are for those. */
#ifndef RESPD_CMDTABLE_H
#define RESPD_CMDTABLE_H

#include "command.h"

#define W CMD_WRITE
#define R CMD_READONLY
#define M CMD_DENYOOM
#define A CMD_ADMIN
#define F CMD_FAST
#define NS CMD_NOSCRIPT
#define LD CMD_LOADING
#define ST CMD_STALE
#define NA CMD_NO_AUTH

/* A command: name, handler, arity, flags, first/last/step key positions,
 * ACL categories, doc group, since, summary, complexity. */
#define C(name, proc, arity, flags, fk, lk, ks, acl, group, since, summary, cx)                   \
    {name, proc, arity, flags, fk, lk, ks, acl, group, since, summary, cx, NULL, NULL, 0, 0, 0, 0}
/* A command whose keys move with its arguments: gk is its cmd_getkeys_fn;
 * CMD_MOVABLE_KEYS is added to flags. */
#define CK(name, proc, arity, flags, gk, acl, group, since, summary, cx)                          \
    {name, proc, arity, (flags) | CMD_MOVABLE_KEYS, 0, 0, 0, acl, group, since, summary, cx,      \
     NULL, gk, 0, 0, 0, 0}
/* The same, with fixed key positions to report in COMMAND INFO (Redis gives
 * 1 1 1 for SORT and Z*STORE: their destination). */
#define CKF(name, proc, arity, flags, fk, lk, ks, gk, acl, group, since, summary, cx)             \
    {name, proc, arity, (flags) | CMD_MOVABLE_KEYS, fk, lk, ks, acl, group, since, summary, cx,   \
     NULL, gk, 0, 0, 0, 0}
/* A container of subcommands. */
#define P(name, arity, flags, acl, group, since, summary, subs)                                    \
    {name, NULL, arity, flags, 0, 0, 0, acl, group, since, summary, "Depends on subcommand.",    \
     subs, NULL, 0, 0, 0, 0}
#define END {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0}

#endif
