namespace KlingGenerated.Cli.Ledger;

/// <summary>Records every state change a wait sees in the ledger, then passes the record on (to the progress display).</summary>
internal sealed class LedgerProgress(ITaskLedger ledger, string endpoint, string taskId, IProgress<TaskRecord>? next) : IProgress<TaskRecord>
{
    private string? _last;

    public void Report(TaskRecord value)
    {
        if (value.RawState != _last || value.State is TaskState.Success or TaskState.Fail)
        {
            ledger.RecordState(endpoint, taskId, value);
            _last = value.RawState;
        }

        next?.Report(value);
    }
}
