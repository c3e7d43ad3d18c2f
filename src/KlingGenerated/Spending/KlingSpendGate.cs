namespace KlingGenerated;

/// <summary>
/// The one spend gate every createTask passes: it prices the request (<see cref="KlingPricing"/>), reserves the price
/// against every budget that applies (the client's <see cref="KlingClientOptions.Budget"/> and the call's own), refuses
/// what does not fit before anything is sent, and settles each reservation with the call's outcome: released when
/// surely no task was created, spent otherwise.
/// </summary>
internal sealed class KlingSpendGate
{
    // The budget of one CreateTaskAsync(request, budget) call, seen by the client's send below it in the same async flow.
    private static readonly AsyncLocal<CallBudget?> Call = new();

    private readonly decimal _price;
    private readonly KlingBudget[] _budgets;

    private KlingSpendGate(decimal price, KlingBudget[] budgets)
    {
        _price = price;
        _budgets = budgets;
    }

    /// <summary>Reserves the request's price against the budgets, or throws <see cref="KlingErrorKind.BudgetExceeded"/> (nothing sent). Null when there is no budget.</summary>
    public static KlingSpendGate? Reserve(VideoTaskRequest? request, KlingPricing pricing, KlingBudget? clientBudget)
    {
        var call = Call.Value;
        if (call is not null)
        {
            call.Handled = true; // this client's send settles the call's budget
        }

        KlingBudget[] budgets = [.. new[] { clientBudget, call?.Budget }.OfType<KlingBudget>().Distinct()];
        if (budgets.Length == 0)
        {
            return null;
        }

        if (request is null || pricing.PriceOf(request) is not { } price)
        {
            throw KlingApiException.ForBudgetExceeded(
                $"This createTask costs {(request is null ? "an unknown price (no request body)" : pricing.Describe(request))}, so the budget cannot be checked; nothing was sent. " +
                "Price it with KlingClientOptions.Pricing = KlingPricing.Document.WithPrice(model, value, credits)" +
                (pricing.AcceptsUnverifiedPrices ? string.Empty : ", or accept the document's unverified prices with KlingPricing.Document.WithUnverifiedPrices()"));
        }

        var reserved = new List<KlingBudget>();
        foreach (var budget in budgets)
        {
            if (!budget.TryReserve(price))
            {
                foreach (var taken in reserved)
                {
                    taken.Settle(price, spent: false);
                }

                throw KlingApiException.ForBudgetExceeded(
                    $"This createTask costs {pricing.Describe(request)}, more than is left of the {budget}; nothing was sent. " +
                    "Raise the cap (a new KlingBudget, --max-credits) to send it");
            }

            reserved.Add(budget);
        }

        return new KlingSpendGate(price, budgets);
    }

    /// <summary>Settles the reservation: spent when a task was (or may have been) created, released when surely nothing was.</summary>
    public void Settle(bool taskMayExist)
    {
        foreach (var budget in _budgets)
        {
            budget.Settle(_price, taskMayExist);
        }
    }

    /// <summary>
    /// Runs a createTask under the call's own <paramref name="budget"/>. A <see cref="KlingClient"/> passes it to its send
    /// (the gate above, which knows whether the body left); any other client (a fake, a decorator) is gated here, around
    /// the call, and settled by what the call ended with: released only on an error that says no task was created.
    /// </summary>
    public static async Task<TResult> WithCallBudgetAsync<TResult>(IKlingClient client, KlingBudget budget, VideoTaskRequest request, Func<Task<TResult>> create)
    {
        if (client is KlingClient)
        {
            var outer = Call.Value;
            Call.Value = new CallBudget(budget);
            try
            {
                return await create().ConfigureAwait(false);
            }
            finally
            {
                Call.Value = outer;
            }
        }

        var gate = Reserve(request, KlingPricing.Document, budget)!;
        try
        {
            var result = await create().ConfigureAwait(false);
            gate.Settle(taskMayExist: true);
            return result;
        }
        catch (Exception exception)
        {
            gate.Settle(taskMayExist: exception is not KlingApiException { TaskMayExist: false });
            throw;
        }
    }

    private sealed class CallBudget(KlingBudget budget)
    {
        public KlingBudget Budget => budget;

        public bool Handled { get; set; }
    }
}
