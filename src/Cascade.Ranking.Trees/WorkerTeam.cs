namespace Cascade.Ranking.Trees;

/// <summary>
/// A fixed team of worker threads for the many short parallel steps of tree growth (a histogram or a partition per
/// split, thousands per model). Workers spin briefly between steps, then wait, so a step starts without a thread-pool
/// wake-up; on a busy machine a late worker no longer holds a step back, since the caller takes any block not yet
/// started. Blocks are claimed in any order, so a step's result must not depend on which thread runs a block.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim _wake = new(false);
    private Job? _job;
    private volatile bool _stopping;

    public WorkerTeam(int threads)
    {
        _workers = new Thread[Math.Max(0, threads - 1)];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"gbdt-worker-{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Number of threads that run blocks, the caller included.</summary>
    public int Threads => _workers.Length + 1;

    /// <summary>Runs body(0 .. blocks − 1), on the caller and the workers, and returns when every block is done.</summary>
    public void For(int blocks, Action<int> body)
    {
        if (blocks <= 1 || _workers.Length == 0)
        {
            for (int b = 0; b < blocks; b++)
            {
                body(b);
            }
            return;
        }
        var job = new Job(body, blocks);
        Volatile.Write(ref _job, job);
        _wake.Set();
        job.Work();
        var spin = default(SpinWait);
        while (Volatile.Read(ref job.Done) < blocks)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        _wake.Reset();
        job.ThrowIfFailed();
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
        _wake.Dispose();
    }

    private void WorkerLoop()
    {
        Job? last = null;
        while (!_stopping)
        {
            var job = Volatile.Read(ref _job);
            if (job is not null && job != last)
            {
                last = job;
                job.Work();
                continue;
            }
            // Spin a little (the next step usually follows within microseconds), then wait for a wake-up.
            var spin = default(SpinWait);
            for (int i = 0; i < 200 && Volatile.Read(ref _job) == last && !_stopping; i++)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            if (Volatile.Read(ref _job) == last && !_stopping)
            {
                _wake.Wait(1);
            }
        }
    }

    private sealed class Job(Action<int> body, int blocks)
    {
        public int Done;
        private int _next;
        private Exception? _error;

        public void Work()
        {
            int b;
            while ((b = Interlocked.Increment(ref _next) - 1) < blocks)
            {
                try
                {
                    body(b);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                Interlocked.Increment(ref Done);
            }
        }

        public void ThrowIfFailed()
        {
            if (_error is not null)
            {
                throw new AggregateException(_error);
            }
        }
    }
}
