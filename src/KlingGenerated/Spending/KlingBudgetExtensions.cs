namespace KlingGenerated;

/// <summary>createTask under a budget of the caller's own, for one call (an agent session, a batch, a request of your app).</summary>
public static class KlingBudgetExtensions
{
    /// <summary>
    /// Creates a task, spending from <paramref name="budget"/> as well as from the client's own
    /// <see cref="KlingClientOptions.Budget"/>: the request is priced (<see cref="KlingClientOptions.Pricing"/>) and its
    /// price reserved before anything is sent; a request that does not fit is not sent (a <see cref="KlingApiException"/>
    /// of kind <see cref="KlingErrorKind.BudgetExceeded"/>). The price is given back only when the outcome says no task
    /// was created (<see cref="KlingApiException.TaskMayExist"/> false).
    /// </summary>
    public static Task<CreateTaskResponse> CreateTaskAsync(this IKlingClient client, VideoTaskRequest request, KlingBudget budget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(budget);
        return KlingSpendGate.WithCallBudgetAsync(client, budget, request, () => client.CreateTaskAsync(request, cancellationToken));
    }
}
