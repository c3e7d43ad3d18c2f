namespace KlingGenerated.Cli.Batch;

/// <summary>A run of a batch: on this machine's ledger (<see cref="BatchRun"/>) or as one worker of a shared one (<see cref="SharedBatchRun"/>).</summary>
internal interface IBatchRun
{
    /// <summary>What this run may spend (set when it starts).</summary>
    BatchBudget Budget { get; }

    Task<BatchResult> RunAsync(IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken);
}
