/** The error a promise rejects with (fails the test if it resolves). */
// `any`: tests inspect the fields of typed errors freely.
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}
