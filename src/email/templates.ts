/** The data contract of every email template; renaming a field here breaks the type check, not production. */
interface Common {
  email: string
  homeUrl: string
  senderName: string
  footerReason: string
  manageUrl?: string
  unsubscribeUrl?: string
}

export type RenderRequest =
  | { template: 'confirm'; data: Common & { confirmUrl: string } }
  | { template: 'already-subscribed'; data: Common & { manageUrl: string; unsubscribeUrl: string } }

export type TemplateName = RenderRequest['template']
export const TEMPLATE_NAMES: readonly TemplateName[] = ['confirm', 'already-subscribed']

export const SUBJECTS: { [K in TemplateName]: (data: Extract<RenderRequest, { template: K }>['data']) => string } = {
  confirm: () => 'Confirm your Paperboy subscription',
  'already-subscribed': () => 'You are already subscribed to Paperboy',
}
