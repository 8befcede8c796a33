// SPDX-License-Identifier: GPL-2.0
/*
 * sleep_in_atomic, good: only non-sleeping calls in atomic sections and
 * handlers (kth_post() is made for them); sleeping work after the unlock,
 * in a threaded IRQ's thread function, or in the handle hook.
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
static void *ring_buf;

static void ring_reset(void)
{
	struct ring_event e = { .status = 0 };
	unsigned long flags;
	void *buf;

	raw_spin_lock_irqsave(&ring_raw_lock, flags);
	buf = kzalloc(64, GFP_ATOMIC);
	kth_post(ring, &e, sizeof(e));
	raw_spin_unlock_irqrestore(&ring_raw_lock, flags);
	kfree(buf);

	spin_lock(&ring_lock);
	ring_buf = NULL;
	spin_unlock(&ring_lock);
	msleep(20);
	buf = kzalloc(4096, GFP_KERNEL);
	kfree(buf);
}

static enum hrtimer_restart ring_tick(struct hrtimer *timer)
{
	struct ring_event e = { .status = 1 };

	kth_post(ring, &e, sizeof(e));
	hrtimer_forward_now(timer, ms_to_ktime(10));
	return HRTIMER_RESTART;
}

static irqreturn_t ring_irq(int irq, void *dev)
{
	struct ring_event e = { .status = 2 };

	kth_post(ring, &e, sizeof(e));
	return IRQ_WAKE_THREAD;
}

static irqreturn_t ring_irq_thread(int irq, void *dev)
{
	mutex_lock(&ring_mutex);
	msleep(20);
	mutex_unlock(&ring_mutex);
	return IRQ_HANDLED;
}

static void ring_handle(struct kth_thread *t, const struct kth_event *ev)
{
	mutex_lock(&ring_mutex);
	msleep(20);
	mutex_unlock(&ring_mutex);
}

/* kth_ops.sample runs from the framework's deferrable timer */
static void ring_sample(struct kth_thread *t)
{
	struct ring_event e = { .status = 3 };

	if (READ_ONCE(ring_buf))
		kth_post(t, &e, sizeof(e));
}

static const struct kth_ops ring_ops = {
	.handle = ring_handle,
	.sample = ring_sample,
};

static int ring_probe(int irq)
{
	return request_threaded_irq(irq, ring_irq, ring_irq_thread, 0,
				    "ring", NULL);
}
