namespace KlingGenerated;

/// <summary>What kind of failure a <see cref="KlingApiException"/> reports.</summary>
public enum KlingErrorKind
{
    /// <summary>A code this client does not know, or an answer it could not read.</summary>
    Unknown = 0,

    /// <summary>401 (or an HTTP 403 from the service's edge): the API key is missing or invalid, or the request was blocked.</summary>
    Unauthorized,

    /// <summary>402: the account has not enough credits.</summary>
    InsufficientCredits,

    /// <summary>404: the task or resource does not exist.</summary>
    NotFound,

    /// <summary>422 (or 400): the service rejected a parameter.</summary>
    ValidationFailed,

    /// <summary>429: too many requests; nothing was created or charged.</summary>
    RateLimited,

    /// <summary>433: the sub-key's usage exceeds its limit.</summary>
    SubKeyLimitExceeded,

    /// <summary>455: the service is under maintenance; nothing was charged.</summary>
    Maintenance,

    /// <summary>500, or HTTP 502/503/504: the service failed.</summary>
    ServerError,

    /// <summary>501: the service could not generate the video.</summary>
    GenerationFailed,

    /// <summary>505: the feature is disabled.</summary>
    FeatureDisabled,

    /// <summary>The task ended in the <c>fail</c> state; see <see cref="KlingApiException.FailCode"/> and <see cref="KlingApiException.FailMessage"/>.</summary>
    TaskFailed,

    /// <summary>
    /// No complete answer in time: an attempt or the whole call timed out (see <see cref="KlingResilienceOptions"/>), or a
    /// wait for a task ran out (<see cref="KlingPollingOptions.Timeout"/>; then <see cref="KlingApiException.TaskId"/> names it).
    /// For a createTask, <see cref="KlingApiException.TaskMayExist"/> says whether it may have been created.
    /// </summary>
    Timeout,

    /// <summary>
    /// Not sent: the createTask's price (<see cref="KlingPricing"/>) does not fit in what is left of its
    /// <see cref="KlingBudget"/>, or it has no price to check. Nothing was sent, created or charged.
    /// </summary>
    BudgetExceeded,
}
