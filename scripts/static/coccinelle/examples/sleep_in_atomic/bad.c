// SPDX-License-Identifier: GPL-2.0
/*
 * sleep_in_atomic, bad: sleeping calls under spinlocks, with interrupts
 * off, and in handlers that run in interrupt context and post events.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <kthelper.h>

struct ring_event {
	u32 status;
};

static struct kth_thread *ring;
static DEFINE_SPINLOCK(ring_lock);
static DEFINE_RAW_SPINLOCK(ring_raw_lock);
static DEFINE_MUTEX(ring_mutex);
static struct hrtimer ring_timer;
static void *ring_buf;

static void ring_reconfigure(void)
{
	mutex_lock(&ring_mutex);
	mutex_unlock(&ring_mutex);
}

static void ring_reset(bool fail)
{
	unsigned long flags;

	spin_lock(&ring_lock);
	msleep(10); /* expected: sleep_in_atomic */
	spin_unlock(&ring_lock);

	raw_spin_lock_irqsave(&ring_raw_lock, flags);
	ring_buf = kzalloc(4096, GFP_KERNEL); /* expected: sleep_in_atomic */
	if (fail) {
		raw_spin_unlock_irqrestore(&ring_raw_lock, flags);
		return;
	}
	kth_stop(ring); /* expected: sleep_in_atomic */
	raw_spin_unlock_irqrestore(&ring_raw_lock, flags);

	spin_lock_irq(&ring_lock);
	ring_reconfigure(); /* expected: sleep_in_atomic */
	spin_unlock_irq(&ring_lock);

	local_irq_save(flags);
	kth_start(ring); /* expected: sleep_in_atomic */
	local_irq_restore(flags);
}

static enum hrtimer_restart ring_tick(struct hrtimer *timer)
{
	struct ring_event e = { .status = 1 };

	kth_post(ring, &e, sizeof(e));
	mutex_lock(&ring_mutex); /* expected: sleep_in_atomic */
	mutex_unlock(&ring_mutex);
	hrtimer_forward_now(timer, ms_to_ktime(10));
	return HRTIMER_RESTART;
}

static irqreturn_t ring_irq(int irq, void *dev)
{
	struct ring_event e = { .status = 2 };

	kth_post(ring, &e, sizeof(e));
	ring_reconfigure(); /* expected: sleep_in_atomic */
	ring_buf = kmalloc(64, GFP_KERNEL | __GFP_ZERO); /* expected: sleep_in_atomic */
	return IRQ_HANDLED;
}

/* kth_ops.sample runs from the framework's deferrable timer */
static void ring_sample(struct kth_thread *t)
{
	struct ring_event e = { .status = 3 };

	if (READ_ONCE(ring_buf))
		kth_post(t, &e, sizeof(e));
	msleep(100); /* expected: sleep_in_atomic */
}

static const struct kth_ops ring_ops = {
	.sample = ring_sample,
};

static int ring_probe(int irq)
{
	hrtimer_init(&ring_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	ring_timer.function = ring_tick;
	return request_irq(irq, ring_irq, 0, "ring", NULL);
}
