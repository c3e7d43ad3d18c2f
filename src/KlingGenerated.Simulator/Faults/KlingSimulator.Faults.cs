namespace KlingGenerated.Simulator;

/// <summary>Random faults for soak tests (the fault in force and the header are read in the pipeline).</summary>
public sealed partial class KlingSimulator
{
    private string? RandomFault()
    {
        if (_options.RandomFaultRate <= 0 || _options.RandomFaults.Count == 0)
        {
            return null;
        }

        lock (_random)
        {
            return _random.NextDouble() < _options.RandomFaultRate ? _options.RandomFaults[_random.Next(_options.RandomFaults.Count)] : null;
        }
    }
}
