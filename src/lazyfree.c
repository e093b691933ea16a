/* lazyfree: see lazyfree.h. The queue is a FIFO of tables; each is freed
 * by ht_free_step in slices of SLICE_SLOTS slots, the clock being read
 * between slices. A slice may queue more work (a flushed database's large
 * values are queued as its entries are freed), so the queue can move under
 * a slice: the item in progress is found again at `head` afterwards. */
#include "lazyfree.h"

#include "ev.h"
#include "mem.h"

/* Slots visited between two reads of the clock: a few tens of µs. */
#define SLICE_SLOTS 4096

typedef struct item {
    ht *t;
    void (*entry_free)(void *); /* NULL: the table's own destructor */
    size_t objects;
} item;

static item *queue;
static size_t head, tail, cap;
static size_t pending_objects, freed_objects;
static int in_slice; /* a value queued while its flushed table is freed */

static void enqueue(ht *t, void (*entry_free)(void *), size_t objects)
{
    if (tail == cap) {
        /* Compact, then grow if still full. */
        size_t n = tail - head;
        for (size_t i = 0; i < n; i++)
            queue[i] = queue[head + i];
        head = 0;
        tail = n;
        if (tail == cap) {
            cap = cap ? cap * 2 : 16;
            queue = mem_realloc(queue, cap * sizeof(item));
        }
    }
    queue[tail++] = (item){t, entry_free, objects};
    pending_objects += objects;
}

void lazyfree_ht(ht *t)
{
    if (ht_size(t) <= LAZYFREE_MIN_ENTRIES) {
        ht_free(t);
        return;
    }
    /* Inside a flushed database, its key was counted already. */
    enqueue(t, NULL, in_slice ? 0 : 1);
}

void lazyfree_keys(ht *t, void (*entry_free)(void *))
{
    enqueue(t, entry_free, ht_size(t));
}

int lazyfree_pending(void)
{
    return head < tail;
}

/* One slice of the oldest item; 1 when that item is done. */
static int slice(void)
{
    item it = queue[head];
    in_slice = 1;
    int done = ht_free_step(it.t, SLICE_SLOTS, it.entry_free);
    in_slice = 0;
    if (!done)
        return 0;
    /* Still at head: items queued meanwhile went behind it. */
    pending_objects -= it.objects;
    freed_objects += it.objects;
    if (++head == tail) {
        /* Empty: its array goes too (one allocation per burst, next to
         * freeing a table of more than 64 entries). */
        mem_free(queue);
        queue = NULL;
        head = tail = cap = 0;
    }
    return 1;
}

int lazyfree_step(long long budget_us)
{
    long long start = ev_mono_us();
    while (lazyfree_pending()) {
        slice();
        if (ev_mono_us() - start >= budget_us)
            break;
    }
    return lazyfree_pending();
}

void lazyfree_drain(void)
{
    while (lazyfree_pending())
        slice();
}

size_t lazyfree_pending_objects(void)
{
    return pending_objects;
}

size_t lazyfree_freed_objects(void)
{
    return freed_objects;
}

void lazyfree_reset_stats(void)
{
    freed_objects = 0;
}
