using System.Globalization;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// Stops a run from sending new lines once <see cref="Limit"/> createTasks in a row ended "a task may exist": a service
/// that answers every create that way may be charging for each task without handing back an id, so the run stops
/// paying into it and leaves the decision to the user. Whether a task may exist is the library's outcome
/// (<see cref="KlingCreateTaskOutcome.TaskMayExist"/>, as <see cref="Ledger.LedgeredCreate"/> records it), never a message.
/// </summary>
internal sealed class UncertainStreak
{
    /// <summary>Uncertain createTasks in a row after which a run sends no new line (docs/cli.md, "Stopped sending").</summary>
    public const int Limit = 3;

    private int _inARow;
    private volatile string? _stopped;

    /// <summary>The note of the lines left unsent once the run stopped; null while it sends.</summary>
    public string? StoppedNote => _stopped;

    /// <summary>
    /// Counts one createTask's recorded outcome (<see cref="Ledger.CreateResult.Outcome"/>): "uncertain" adds one; an
    /// outcome that settles whether a task exists ("created", "unrecorded": an id came back; "rejected": the service
    /// created nothing) starts the count again; "not-sent" reached no service and changes nothing. Called one createTask
    /// at a time (the run's wire). True when this outcome stopped the run.
    /// </summary>
    public bool Count(string outcome)
    {
        switch (outcome)
        {
            case "uncertain":
                _inARow++;
                break;
            case "created" or "unrecorded" or "rejected":
                _inARow = 0;
                return false;
            default:
                return false;
        }

        if (_inARow < Limit || _stopped is not null)
        {
            return false;
        }

        _stopped = $"not sent: the run stopped sending after {Limit.ToString(CultureInfo.InvariantCulture)} createTasks in a row ended uncertain";
        return true;
    }
}
