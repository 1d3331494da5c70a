using Google.Rpc;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Server.Errors;

namespace GrpcSync.Server.Auth;

/// <summary>Access to the authenticated caller that <see cref="AuthInterceptor"/> put on the call.</summary>
public static class CallerExtensions
{
    internal const string Key = "grpcsync.caller";
    internal const string AdminKey = "grpcsync.caller.admin";

    /// <summary>The ErrorInfo reason of a call that needs an administrator's token and came with a user's.</summary>
    public const string AdminRequiredReason = "ADMIN_REQUIRED";

    public static Scope Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out var value) && value is Scope scope
            ? scope
            : throw new InvalidOperationException("The call was not authenticated; is AuthInterceptor registered?");

    /// <summary>Whether the caller's token carries <c>"role": "admin"</c>.</summary>
    public static bool IsAdmin(this ServerCallContext context)
    {
        _ = context.Caller(); // the same failure as Caller() when the interceptor did not run
        return context.UserState.TryGetValue(AdminKey, out var value) && value is true;
    }

    /// <summary>
    /// The caller's scope when the token is a project administrator's; otherwise PERMISSION_DENIED (HTTP 403)
    /// with reason <see cref="AdminRequiredReason"/>. The caller is authenticated, so "forbidden" (not "not
    /// found") is the honest answer: these routes exist for every project.
    /// </summary>
    public static Scope RequireAdmin(this ServerCallContext context) =>
        context.IsAdmin()
            ? context.Caller()
            : throw RpcErrors.Build(Code.PermissionDenied,
                $"This call needs a project administrator's token (a user token with the claim \"{AuthenticatedCaller.RoleClaim}\": \"{AuthenticatedCaller.AdminRole}\").",
                AdminRequiredReason);

    internal static void SetCaller(this ServerCallContext context, AuthenticatedCaller caller)
    {
        context.UserState[Key] = caller.Scope;
        context.UserState[AdminKey] = caller.IsAdmin;
    }
}
