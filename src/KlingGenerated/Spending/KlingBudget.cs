using System.Globalization;

namespace KlingGenerated;

/// <summary>
/// The credits a caller allows createTasks to spend: a cap, what was spent (tasks created, or that may have been),
/// and what is reserved by createTasks in flight. Every createTask a <see cref="KlingClient"/> sends with a budget
/// (<see cref="KlingClientOptions.Budget"/>, or <see cref="KlingBudgetExtensions.CreateTaskAsync"/> per call) is priced
/// from <see cref="KlingPricing"/> and reserves that much here before anything is sent; a request that does not fit is
/// not sent (<see cref="KlingErrorKind.BudgetExceeded"/>). The reservation is released only when the outcome says no
/// task was created, and becomes spent otherwise (created, or "may exist"). Thread-safe: share one budget across many
/// calls, clients and threads (a batch, an agent session, a whole process).
/// </summary>
public sealed class KlingBudget
{
    private readonly Lock _gate = new();
    private decimal _spent;
    private decimal _reserved;
    private int _tasks;

    /// <summary>Creates a budget of <paramref name="cap"/> credits, of which <paramref name="spent"/> are already spent (by earlier runs, for example).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative cap or spent amount.</exception>
    public KlingBudget(decimal cap, decimal spent = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cap);
        ArgumentOutOfRangeException.ThrowIfNegative(spent);
        Cap = cap;
        _spent = spent;
    }

    /// <summary>The most credits this budget allows.</summary>
    public decimal Cap { get; }

    /// <summary>Credits of the createTasks that created a task, or may have (their price, as reserved).</summary>
    public decimal Spent
    {
        get
        {
            lock (_gate)
            {
                return _spent;
            }
        }
    }

    /// <summary>Credits held by createTasks in flight: neither spent nor released yet.</summary>
    public decimal Reserved
    {
        get
        {
            lock (_gate)
            {
                return _reserved;
            }
        }
    }

    /// <summary>What is left to reserve: <see cref="Cap"/> minus <see cref="Spent"/> minus <see cref="Reserved"/> (never below 0).</summary>
    public decimal Left
    {
        get
        {
            lock (_gate)
            {
                return Math.Max(0, Cap - _spent - _reserved);
            }
        }
    }

    /// <summary>How many createTasks this budget paid for (created, or may have been) since it was made.</summary>
    public int Tasks
    {
        get
        {
            lock (_gate)
            {
                return _tasks;
            }
        }
    }

    /// <summary>Describes the budget, for a message: cap, spent, reserved and left.</summary>
    public override string ToString()
    {
        lock (_gate)
        {
            return $"budget of {Format(Cap)} credits: {Format(_spent)} spent, {Format(_reserved)} reserved, {Format(Math.Max(0, Cap - _spent - _reserved))} left";
        }
    }

    /// <summary>Reserves <paramref name="credits"/>; false (nothing reserved) when they do not fit in what is left.</summary>
    internal bool TryReserve(decimal credits)
    {
        lock (_gate)
        {
            if (_spent + _reserved + credits > Cap)
            {
                return false;
            }

            _reserved += credits;
            return true;
        }
    }

    /// <summary>Ends a reservation: spent when a task was (or may have been) created, given back otherwise.</summary>
    internal void Settle(decimal credits, bool spent)
    {
        lock (_gate)
        {
            _reserved -= credits;
            if (spent)
            {
                _spent += credits;
                _tasks++;
            }
        }
    }

    /// <summary>
    /// Credits as every message prints them: culture-invariant (a dot, whatever the user's culture) and exact, without
    /// trailing zeros (0.001 stays 0.001, never "0"; 42.50 is 42.5).
    /// </summary>
    public static string FormatCredits(decimal credits) => credits.ToString("0.############################", CultureInfo.InvariantCulture);

    /// <summary>The same for a figure held as a double (a balance, an option): exact to its 15 significant digits.</summary>
    public static string FormatCredits(double credits) =>
        double.IsFinite(credits) && Math.Abs(credits) < 7.9e27 ? FormatCredits((decimal)credits) : credits.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(decimal credits) => FormatCredits(credits);
}
